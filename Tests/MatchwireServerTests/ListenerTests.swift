import Foundation
import HTTPTypes
import MatchwireCore
import MatchwireStore
import NIOWebSocket
import Synchronization
@testable import MatchwireServer
import Testing

/// The listener and the headers it puts on every answer (what Hummingbird's `Application` did before).
@Suite struct ListenerTests {
    @Test func theDateHeaderIsTheIMFFixdateOfItsSecond() {
        // RFC 9110 §5.6.7's own example, and days and hours below ten.
        #expect(DateHeader.imfFixdate(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(DateHeader.imfFixdate(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(DateHeader.imfFixdate(1_780_000_000) == "Thu, 28 May 2026 20:26:40 GMT")
    }

    @Test func everyAnswerCarriesTheDateAndTheServersName() async throws {
        try await TestServer.start { server, client in
            for (path, status) in [("/health", HTTPResponse.Status.ok), ("/no/such/path", .notFound)] {
                let before = Int(Date().timeIntervalSince1970)
                let response = try await client.execute(uri: path, method: .get, headers: server.consumerHeaders())
                let after = Int(Date().timeIntervalSince1970)
                #expect(response.status == status)
                #expect(response.headers[.server] == "matchwire")
                let date = try #require(response.headers[.date], "\(path) has a Date header")
                #expect(
                    (min(before, after)...max(before, after)).map(DateHeader.imfFixdate).contains(date),
                    "\(path): \(date) is the time of the answer")
            }
        }
    }

    /// The answers made before the routes carry them too: a refused upgrade (an unknown fixture, 404) and the
    /// connection guard's refusal of a request it cannot parse (400).
    @Test func answersMadeBeforeTheRoutesCarryTheDateAndTheServersName() async throws {
        try await TestServer.start { server, client in
            let port = try #require(client.port)
            let unknownFixture =
                "GET /v2/tabletennis/fixtures/\(UUID().uuidString.lowercased())/actions HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAccept: application/json\r\n\r\n"
            for (request, status) in [
                (unknownFixture, " 404 "),
                ("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n", " 400 "),
            ] {
                let head = try await RawConnection.headOfAnswer(port: port, to: request)
                #expect(head.hasPrefix("HTTP/1.1" + status), "\(head)")
                let lines = head.lowercased().components(separatedBy: "\r\n")
                #expect(lines.contains("server: matchwire"), "\(head)")
                #expect(lines.contains { $0.hasPrefix("date: ") && $0.hasSuffix(" gmt") }, "\(head)")
            }
        }
    }

    /// The listener's graceful shutdown closes a stream still open with 1001 and its sentence, as the hub does
    /// (here the hub is not a service, so nothing else closes it), and then ends: it waits for every connection.
    @Test func aShutdownClosesAStreamLeftOpenWith1001() async throws {
        let closing = Mutex<Task<[RawWebSocket.Frame], any Error>?>(nil)
        try await TestServer.start { server, client in
            let socket = try await RawWebSocket.connect(port: try #require(client.port), path: server.streamPath())
            try socket.send(.text, Array(StreamClient.auth(server.consumer).utf8))
            let reply = try await socket.receive()
            #expect(reply?.text.contains("Authorisation accepted") == true, "\(String(describing: reply))")
            // Read on after the body returns and the server shuts down: every frame up to the close, for at most a
            // minute (an open stream gets heartbeats, so without a close the reads would go on).
            closing.withLock { closing in
                closing = Task { try await socket.framesUntilClose() }
            }
        }
        let frames = try await #require(closing.withLock { $0 }).value
        #expect(frames.last?.closeCode == 1001, "\(frames.map(\.opcode))")
        #expect(frames.contains { $0.text.contains("Server shutting down") }, "\(frames.map(\.text))")
    }

    /// A connection whose upgrade is still being decided (its fixture being read) when the listener shuts down
    /// becomes a stream that is told of the shutdown once it exists: it closes with 1001, and the shutdown ends
    /// (the quiesce event passed the connection before its stream's handlers were there).
    @Test func aStreamUpgradedDuringTheShutdownIsClosedWith1001() async throws {
        let gate = Mutex<GatedFixtureReads?>(nil)
        let closing = Mutex<Task<[RawWebSocket.Frame], any Error>?>(nil)
        try await TestServer.start(
            serving: { store in
                let gated = GatedFixtureReads(store)
                gate.withLock { $0 = gated }
                return gated
            }
        ) { server, client in
            let port = try #require(client.port)
            let reads = try #require(gate.withLock { $0 })
            closing.withLock { closing in
                closing = Task {
                    let socket = try await RawWebSocket.connect(port: port, path: server.streamPath())
                    return try await socket.framesUntilClose()
                }
            }
            // The upgrade waits for the fixture's read; the read is let go once the shutdown (which the body's end
            // starts) has asked every connection to quiesce.
            try await waitUntil { reads.isReading }
            Task {
                try await Task.sleep(for: .milliseconds(500))
                reads.open()
            }
        }
        let frames = try await #require(closing.withLock { $0 }).value
        #expect(frames.last?.closeCode == 1001, "\(frames.map(\.opcode)) \(frames.map(\.text))")
    }
}

/// A store whose fixture reads wait until the test lets them go.
final class GatedFixtureReads: ForwardingStore, @unchecked Sendable {
    private let reading = Atomic(false)
    private let opened = Atomic(false)

    var isReading: Bool { reading.load(ordering: .acquiring) }
    func open() { opened.store(true, ordering: .releasing) }

    override func fixture(id: UUID) async throws -> Fixture? {
        reading.store(true, ordering: .releasing)
        while !opened.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(10)) }
        return try await super.fixture(id: id)
    }
}
