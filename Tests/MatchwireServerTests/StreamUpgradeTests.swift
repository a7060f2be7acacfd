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

    @Test func anUpgradeNamesWebsocketAndUpgradeWithOneKeyAndVersion13() {
        let upgrade = ("Upgrade", "websocket")
        let connection = ("Connection", "keep-alive, Upgrade")
        func key(_ headers: (String, String)...) -> String? { StreamUpgradeHandler.websocketKey(Self.head(headers)) }
        #expect(key(upgrade, connection, Self.key, Self.version) == Self.key.1)
        #expect(key(("Upgrade", "h2c, WebSocket"), ("Connection", "upgrade"), Self.key, Self.version) == Self.key.1)
        // Names and tokens in any case, elements with spaces or tabs around them, several lines of one name.
        #expect(
            key(
                ("UPGRADE", " websocket\t"), ("connection", "keep-alive,,\tUPGRADE "), ("sec-websocket-key", " k== "),
                ("SEC-WEBSOCKET-VERSION", "13")) == "k==")
        #expect(
            key(
                ("Upgrade", "h2c"), ("Upgrade", "websocket"), ("Connection", "close"), connection, Self.key,
                Self.version) == Self.key.1)
        // Anything else is an HTTP request for the routes.
        #expect(key(connection, Self.key, Self.version) == nil)
        #expect(key(upgrade, Self.key, Self.version) == nil)
        #expect(key(upgrade, ("Connection", "keep-alive"), Self.key, Self.version) == nil)
        #expect(key(("Upgrade", "h2c"), connection, Self.key, Self.version) == nil)
        #expect(key(upgrade, connection, Self.version) == nil)
        #expect(key(upgrade, connection, Self.key, Self.key, Self.version) == nil)
        #expect(key(upgrade, connection, ("Sec-WebSocket-Key", "a, b"), Self.version) == nil)
        #expect(key(upgrade, connection, Self.key) == nil)
        #expect(key(upgrade, connection, Self.key, ("Sec-WebSocket-Version", "8")) == nil)
        #expect(key(upgrade, connection, Self.key, ("Sec-WebSocket-Version", "13, 8")) == nil)
        #expect(key(upgrade, connection, Self.key, ("Sec-WebSocket-Version", "13"), Self.version) == nil)
        #expect(key(("Upgrade", "websockets"), connection, Self.key, Self.version) == nil)
        #expect(key(upgrade, ("Connection", "upgraded"), Self.key, Self.version) == nil)
        // Blank elements are no elements (RFC 9110 §5.6.1): one version here.
        #expect(key(upgrade, connection, Self.key, ("Sec-WebSocket-Version", "13, \t,")) == Self.key.1)
    }

    /// Without `Connection: upgrade` the request parser does not stop after the request: a second request in the
    /// same write would be parsed and passed on after the switch. Such a request is the routes', which answer both
    /// (the stream path is no REST route: 404), and the server stays up.
    @Test func anUpgradeWithoutConnectionUpgradeIsAnHTTPRequest() async throws {
        try await TestServer.start { server, client in
            let port = try #require(client.port)
            let connection = try RawConnection(port: port)
            connection.setReceiveTimeout(seconds: 10)
            let upgrade =
                "GET \(server.streamPath()) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            try connection.write(upgrade + "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let answers = try await blocking { try connection.receiveAll() }
            #expect(!answers.contains(" 101 "), "\(answers)")
            #expect(answers.components(separatedBy: "HTTP/1.1 ").count - 1 == 2, "\(answers)")
            // Still serving.
            let socket = try await RawWebSocket.connect(port: port, path: server.streamPath())
            try socket.send(.text, Array(StreamClient.auth(server.consumer).utf8))
            #expect(try await socket.receive()?.text.contains("Authorisation accepted") == true)
        }
    }

    /// Several `Accept` lines are one list (RFC 9110 §5.3), on a stream's connect as on the routes: one acceptable
    /// element on any line is enough; none on every line is a 406.
    @Test func severalAcceptLinesAreOneList() async throws {
        try await TestServer.start { server, client in
            let port = try #require(client.port)
            for (lines, status) in [
                (["text/html", "application/json"], " 101 "), (["text/html", "text/plain"], " 406 "),
                (["text/html, application/*"], " 101 "),
            ] {
                let accept = lines.map { "Accept: \($0)\r\n" }.joined()
                let request =
                    "GET \(server.streamPath()) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\(accept)\r\n"
                let answer = try await RawConnection.headOfAnswer(port: port, to: request)
                #expect(answer.hasPrefix("HTTP/1.1" + status), "\(lines): \(answer)")
            }
        }
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

    /// What an `Accept` element must name, on a stream's connect as on every REST request (protocol.md): the vendor
    /// type with no version but 1, `application/json`, or a wildcard that covers it.
    @Test(arguments: [
        ("application/vnd.imggaming.dde.api+json;version=1", true),
        ("application/vnd.imggaming.dde.api+json", true),
        ("Application/VND.imggaming.dde.api+JSON ; VERSION=1", true),
        ("application/vnd.imggaming.dde.api+json;charset=utf-8;version=1", true),
        ("application/json", true), ("APPLICATION/JSON;q=0.5", true), ("application/*", true), ("*/*", true),
        ("application/vnd.imggaming.dde.api+json;version=2", false),
        ("application/vnd.imggaming.dde.api+json;version=1;version=2", false),
        ("application/vnd.imggaming.dde.api+json; version=", false),
        ("text/html", false), ("text/*", false), ("application/jsonx", false), ("", false),
        (";application/json", false),
    ])
    func anAcceptElementNamesOurType(element: String, accepted: Bool) {
        #expect(acceptsOurType(element[...]) == accepted)
    }
}
