import Foundation
import MatchwireCore
import MatchwireServer
import Testing

/// The send timeout on a real socket, where closing a connection waits for its unsent bytes: a client that stops
/// reading a large answer loses the connection, not the server its file descriptor.
@Suite struct SendTimeoutTests {
    @Test func aClientThatStopsReadingALargeAnswerIsDisconnected() async throws {
        try await TestServer.start(configure: { $0.sendTimeout = 1 }) { server, client in
            // About 4 MB of packets: more than the socket buffers on both sides hold.
            let actions = server.longMatch(rallies: 4_000)
            for start in stride(from: 0, to: actions.count, by: 1_000) {
                try await server.ingest(Array(actions[start..<min(start + 1_000, actions.count)]), with: client)
            }
            let port = try #require(client.port)
            let connection = try RawConnection(port: port, receiveBuffer: 4096)
            try connection.write(
                "GET \(server.actionsPath) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
                    + "Authorization: Bearer \(server.consumer)\r\n\r\n")
            // Not reading for five times the send timeout: the server must give up on this answer.
            try await Task.sleep(for: .seconds(5))
            connection.setReceiveTimeout(seconds: 10)
            let received = (try? await blocking { try connection.receiveAll() }) ?? ""
            let length =
                received.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let body = received.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            #expect(length > 3_000_000, "a large answer: \(length) bytes")
            #expect(body.utf8.count < length, "the answer was cut: the connection was closed, not kept")
        }
    }
}
