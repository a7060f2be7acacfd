import NIOCore
import NIOHTTP1
import Testing

@testable import MatchwireServer

/// ``StreamUpgradeHandler``: which first requests are websocket upgrades, the 101 answer, and a stream's first
/// frames sent with its upgrade request (before the answer), on either path of the decision: the fixture the store
/// keeps (decided at once) and the fixture read in a task.
@Suite struct StreamUpgradeTests {
    static func head(_ headers: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(
            version: .http1_1, method: .GET, uri: "/v2/tabletennis/fixtures/x/actions", headers: .init(headers))
    }

    static let key = ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
    static let version = ("Sec-WebSocket-Version", "13")

    @Test func anUpgradeNamesWebsocketWithOneKeyAndVersion13() {
        let upgrade = ("Upgrade", "websocket")
        #expect(StreamUpgradeHandler.websocketKey(Self.head([upgrade, Self.key, Self.version])) == Self.key.1)
        #expect(
            StreamUpgradeHandler.websocketKey(Self.head([("Upgrade", "h2c, WebSocket"), Self.key, Self.version]))
                == Self.key.1)
        // Anything else is an HTTP request for the routes.
        #expect(StreamUpgradeHandler.websocketKey(Self.head([Self.key, Self.version])) == nil)
        #expect(StreamUpgradeHandler.websocketKey(Self.head([("Upgrade", "h2c"), Self.key, Self.version])) == nil)
        #expect(StreamUpgradeHandler.websocketKey(Self.head([upgrade, Self.version])) == nil)
        #expect(StreamUpgradeHandler.websocketKey(Self.head([upgrade, Self.key, Self.key, Self.version])) == nil)
        #expect(
            StreamUpgradeHandler.websocketKey(Self.head([upgrade, ("Sec-WebSocket-Key", "a, b"), Self.version])) == nil)
        #expect(StreamUpgradeHandler.websocketKey(Self.head([upgrade, Self.key])) == nil)
        #expect(
            StreamUpgradeHandler.websocketKey(Self.head([upgrade, Self.key, ("Sec-WebSocket-Version", "8")])) == nil)
    }

    /// RFC 6455 §1.3's own example: this key's accept value is `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`.
    @Test func theAnswerCarriesTheAcceptValueOfTheKey() {
        let answer = StreamUpgradeHandler.switchingProtocols(key: Self.key.1, allocator: ByteBufferAllocator())
        #expect(
            String(buffer: answer)
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    }

    /// The auth message sent in the same write as the upgrade request reaches the stream: the HTTP decoder passes the
    /// bytes after the request on to the frame decoder as it leaves. The first connect reads the fixture (the
    /// decision in a task, the request's end kept meanwhile), the second finds it kept (decided at once).
    @Test func anAuthMessageSentWithTheUpgradeRequestIsRead() async throws {
        try await ConnectBudgetTests.withCountingServer { server, client, reads in
            let port = try #require(client.port)
            let auth = RawWebSocket.frame(.text, Array(StreamClient.auth(server.consumer).utf8))
            for (connect, fixtureReads) in [("first", 1), ("second", 0)] {
                reads.reset()
                let socket = try await RawWebSocket.connect(port: port, path: server.streamPath(), withRequest: auth)
                let reply = try #require(try await socket.receive(), "\(connect)")
                #expect(
                    reply.opcode == .text && reply.text.contains("Authorisation accepted"), "\(connect): \(reply.text)")
                #expect(reads.counts["fixture", default: 0] == fixtureReads, "\(connect): \(reads.counts)")
            }
        }
    }
}
