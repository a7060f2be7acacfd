import Foundation
import MatchwireCore
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import MatchwireServer

/// Client frames checked as RFC 6455 requires (``WebSocketFrameChecks``): on a real server with a client written
/// frame by frame, before the auth message and after it, and the checks alone over an `EmbeddedChannel`.
@Suite struct WebSocketProtocolTests {
    /// A frame as the test client sends it.
    struct ClientFrame: Sendable {
        let opcode: UInt8
        /// Nil: the auth message, a frame the server would accept as it is before the auth exchange.
        let payload: [UInt8]?
        let fin: Bool
        let masked: Bool
        let rsv: UInt8

        init(_ opcode: UInt8, _ payload: [UInt8]?, fin: Bool = true, masked: Bool = true, rsv: UInt8 = 0) {
            self.opcode = opcode
            self.payload = payload
            self.fin = fin
            self.masked = masked
            self.rsv = rsv
        }

        /// Its bytes on the wire.
        func bytes(auth: [UInt8]) -> [UInt8] {
            RawWebSocket.frame(
                WebSocketOpcode(encodedWebSocketOpcode: opcode)!, payload ?? auth, fin: fin, masked: masked, rsv: rsv)
        }
    }

    /// Frames that break the protocol, and the code the server must close with.
    struct BadFrames: Sendable, CustomTestStringConvertible {
        let name: String
        let frames: [ClientFrame]
        let code: UInt16

        init(_ name: String, _ frames: [ClientFrame], _ code: UInt16) {
            self.name = name
            self.frames = frames
            self.code = code
        }

        var testDescription: String { "\(name): \(code)" }
    }

    static let badFrames: [BadFrames] = {
        var cases: [BadFrames] = [
            BadFrames("unmasked text frame", [ClientFrame(0x1, nil, masked: false)], 1002),
            BadFrames("unmasked close frame", [ClientFrame(0x8, closePayload(1000), masked: false)], 1002),
            BadFrames("RSV1 set", [ClientFrame(0x1, nil, rsv: 4)], 1002),
            BadFrames("RSV2 set", [ClientFrame(0x1, nil, rsv: 2)], 1002),
            BadFrames("RSV3 set", [ClientFrame(0x1, nil, rsv: 1)], 1002),
            BadFrames("RSV1 set on a ping", [ClientFrame(0x9, [], rsv: 4)], 1002),
            BadFrames("opcode 0x3", [ClientFrame(0x3, nil)], 1002),
            BadFrames("opcode 0x7", [ClientFrame(0x7, nil)], 1002),
            BadFrames("opcode 0xB", [ClientFrame(0xB, nil)], 1002),
            BadFrames("opcode 0xF", [ClientFrame(0xF, [])], 1002),
            BadFrames("close with a 1-byte payload", [ClientFrame(0x8, [0x03])], 1002),
        ]
        let refusedCodes: [UInt16] = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]
        for code in refusedCodes {
            cases.append(BadFrames("close code \(code)", [ClientFrame(0x8, closePayload(code))], 1002))
        }
        cases += [
            BadFrames("close reason C3 28", [ClientFrame(0x8, closePayload(1000, [0xC3, 0x28]))], 1007),
            BadFrames("text C3 28", [ClientFrame(0x1, [0xC3, 0x28])], 1007),
            BadFrames("text FF", [ClientFrame(0x1, [0xFF])], 1007),
            BadFrames("text overlong C0 AF", [ClientFrame(0x1, [0xC0, 0xAF])], 1007),
            BadFrames("text surrogate ED A0 80", [ClientFrame(0x1, [0xED, 0xA0, 0x80])], 1007),
            BadFrames("text above U+10FFFF", [ClientFrame(0x1, [0xF4, 0x90, 0x80, 0x80])], 1007),
            BadFrames("text ending inside a character", [ClientFrame(0x1, [0x61, 0xE2, 0x82])], 1007),
            BadFrames(
                "invalid byte in a later fragment",
                [ClientFrame(0x1, [0x61, 0xE2], fin: false), ClientFrame(0x0, [0x28])], 1007),
            BadFrames(
                "fragmented text ending inside a character",
                [ClientFrame(0x1, [0x61], fin: false), ClientFrame(0x0, [0xE2, 0x82])], 1007),
            BadFrames(
                "text frame inside a fragmented message",
                [ClientFrame(0x1, [0x61], fin: false), ClientFrame(0x1, [0x62])], 1002),
            BadFrames(
                "binary frame inside a fragmented message",
                [ClientFrame(0x2, [0x61], fin: false), ClientFrame(0x2, [0x62])], 1002),
            BadFrames("continuation with nothing to continue", [ClientFrame(0x0, [0x61])], 1002),
        ]
        return cases
    }()

    /// Close payloads a client may send: the server answers each with the same status code.
    static let closesThatAreEchoed: [[UInt8]] = [
        [], closePayload(1000), closePayload(1000, Array("bye \u{2713}".utf8)), closePayload(1001),
        closePayload(1003), closePayload(1007), closePayload(1011), closePayload(1014), closePayload(3000),
        closePayload(4000), closePayload(4999),
    ]

    // MARK: On a server

    /// Each case on its own connection, all on one server (concurrently: a missing check costs one receive
    /// timeout, not one per case). The connection is failed with the case's code: the close frame comes first (before
    /// the auth exchange, no ERROR message before it), then the connection is closed at once (the close wait is a
    /// minute here), with nothing written after the frame.
    @Test(arguments: [false, true])
    func badFramesFailTheConnection(authenticated: Bool) async throws {
        try await TestServer.start(configure: { $0.streamCloseWait = .seconds(60) }) { server, client in
            let port = try #require(client.port)
            let path = server.streamPath()
            let auth = Array(StreamClient.auth(server.consumer).utf8)
            await withTaskGroup(of: Void.self) { group in
                for bad in Self.badFrames {
                    group.addTask {
                        do {
                            try await Self.expectFailed(
                                bad, port: port, path: path, auth: auth, authenticated: authenticated)
                        } catch {
                            Issue.record(error, "\(bad.name)")
                        }
                    }
                }
            }
            try await waitUntil { server.hub.subscriberCount(fixtureId: server.fixture.id) == 0 }
        }
    }

    private static func expectFailed(
        _ bad: BadFrames, port: Int, path: String, auth: [UInt8], authenticated: Bool
    ) async throws {
        let socket = try await RawWebSocket.connect(port: port, path: path)
        if authenticated { try await authenticate(socket, auth: auth) }
        for frame in bad.frames {
            try socket.send(
                WebSocketOpcode(encodedWebSocketOpcode: frame.opcode)!, frame.payload ?? auth, fin: frame.fin,
                masked: frame.masked, rsv: frame.rsv)
        }
        // After the auth exchange a heartbeat may come first; before it, nothing may come before the close frame.
        let close = try #require(try await socket.receive(skippingText: authenticated), "\(bad.name)")
        #expect(close.opcode == .connectionClose, "\(bad.name): \(close.opcode) \(close.text)")
        #expect(close.closeCode == bad.code, "\(bad.name)")
        #expect(try await socket.receive() == nil, "\(bad.name): nothing after the close frame, then the close")
    }

    @Test(arguments: [false, true])
    func closeWithACodeAClientMaySendIsEchoed(authenticated: Bool) async throws {
        try await TestServer.start { server, client in
            let port = try #require(client.port)
            let path = server.streamPath()
            let auth = Array(StreamClient.auth(server.consumer).utf8)
            await withTaskGroup(of: Void.self) { group in
                for payload in Self.closesThatAreEchoed {
                    group.addTask {
                        do {
                            let socket = try await RawWebSocket.connect(port: port, path: path)
                            if authenticated { try await Self.authenticate(socket, auth: auth) }
                            try socket.send(.connectionClose, payload)
                            #expect(
                                try await socket.receive(skippingText: authenticated)
                                    == .init(opcode: .connectionClose, payload: Array(payload.prefix(2))),
                                "\(payload)")
                            #expect(try await socket.receive() == nil, "\(payload)")
                        } catch {
                            Issue.record(error, "\(payload)")
                        }
                    }
                }
            }
        }
    }

    /// 🎾 (F0 9F 8E BE) and é (C3 A9), with fragments that end inside both, and a ping between two of them.
    @Test func authMessageWithCharactersSplitBetweenFragmentsIsAccepted() async throws {
        try await TestServer.start { server, client in
            let socket = try await RawWebSocket.connect(port: try #require(client.port), path: server.streamPath())
            let auth = Array(#"{"authToken": "\#(server.consumer)", "note": "\#u{1F3BE}\#u{E9}"}"#.utf8)
            let tennis = try #require(auth.firstIndex(of: 0xF0))
            try socket.send(.text, auth[..<(tennis + 1)], fin: false)
            try socket.send(.continuation, auth[(tennis + 1)..<(tennis + 3)], fin: false)
            try socket.send(.ping, Array("between".utf8))
            try socket.send(.continuation, auth[(tennis + 3)..<(tennis + 5)], fin: false)
            try socket.send(.continuation, auth[(tennis + 5)...])
            #expect(try await socket.receive() == .init(opcode: .pong, payload: Array("between".utf8)))
            let accepted = try #require(try await socket.receive())
            #expect(accepted.opcode == .text && accepted.text.contains("Authorisation accepted"), "\(accepted.text)")
        }
    }

    @Test func textWithCharactersSplitBetweenFragmentsIsAcceptedAfterAuth() async throws {
        try await TestServer.start { server, client in
            let socket = try await RawWebSocket.connect(port: try #require(client.port), path: server.streamPath())
            try await Self.authenticate(socket, auth: Array(StreamClient.auth(server.consumer).utf8))
            let text = Array("\u{1F3BE}\u{E9}".utf8)
            try socket.send(.text, text[..<1], fin: false)
            try socket.send(.continuation, text[1..<3], fin: false)
            try socket.send(.ping, Array("between".utf8))
            try socket.send(.continuation, text[3..<5], fin: false)
            try socket.send(.continuation, text[5...])
            try socket.send(.ping, Array("after".utf8))
            // The second pong, rather than a close frame, shows the message was accepted (and dropped, as anything
            // after the auth message is).
            #expect(
                try await socket.receive(skippingText: true) == .init(opcode: .pong, payload: Array("between".utf8)))
            #expect(try await socket.receive(skippingText: true) == .init(opcode: .pong, payload: Array("after".utf8)))
            try socket.send(.connectionClose, closePayload(1000))
            #expect(
                try await socket.receive(skippingText: true)
                    == .init(opcode: .connectionClose, payload: closePayload(1000)))
        }
    }

    /// Sends the auth message and reads its INFO answer.
    private static func authenticate(_ socket: RawWebSocket, auth: [UInt8]) async throws {
        try socket.send(.text, auth)
        let accepted = try #require(try await socket.receive())
        #expect(accepted.opcode == .text && accepted.text.contains("Authorisation accepted"), "\(accepted.text)")
    }

    // MARK: The checks alone

    /// Each violation is found by the checks, maps to the expected close code, and nothing after it is passed on.
    @Test(arguments: WebSocketProtocolTests.badFrames)
    func checksFindTheViolation(bad: BadFrames) throws {
        let auth = Array("hello".utf8)
        let after = ClientFrame(0x9, Array("after".utf8))
        let (passed, violation) = try runChecks((bad.frames + [after]).map { $0.bytes(auth: auth) })
        let found = try #require(violation)
        #expect(found.streamEnd.closeFrame?.code == WebSocketErrorCode(codeNumber: Int(bad.code)), "\(found)")
        #expect(passed.count == bad.frames.count - 1, "the frames before the violation only")
        #expect(!passed.contains { $0.opcode == .ping }, "the frame after the violation is not passed on")
    }

    @Test func framesInOrderArePassedOnUnchanged() throws {
        let tennis = Array("\u{1F3BE}\u{E9}".utf8)
        let frames: [(WebSocketOpcode, [UInt8], Bool)] = [
            (.text, Array("hello".utf8), true),
            (.text, [], true),
            (.text, tennis, true),
            (.binary, [0xFF, 0x00, 0xC3], true),
            (.ping, Array("ping".utf8), true),
            (.pong, [], true),
            (.text, Array(tennis[..<1]), false),
            (.ping, [], true),
            (.continuation, Array(tennis[1..<3]), false),
            (.continuation, [], false),
            (.continuation, Array(tennis[3...]), true),
            (.binary, [0xC3], false),
            (.continuation, [0xFF], true),
            (.connectionClose, [], true),
            (.connectionClose, closePayload(1000, Array("bye \u{2713}".utf8)), true),
            (.connectionClose, closePayload(4999), true),
        ]
        let (passed, violation) = try runChecks(frames.map { RawWebSocket.frame($0.0, $0.1, fin: $0.2) })
        #expect(violation == nil)
        #expect(passed.map(\.opcode) == frames.map { $0.0 })
        #expect(passed.map { Array($0.unmaskedData.readableBytesView) } == frames.map { $0.1 })
    }

    @Test func closeCodesAClientMaySend() {
        let valid = (0...65535).filter { WebSocketFrameChecks.isValidCloseCode(UInt16($0)) }
        #expect(valid == Array(1000...1003) + Array(1007...1014) + Array(3000...4999))
    }

    @Test func closePayloadChecks() {
        func check(_ payload: [UInt8]) -> StreamEnd? {
            WebSocketFrameChecks.checkClose(payload: ByteBuffer(bytes: payload))?.streamEnd
        }
        #expect(check([]) == nil)
        #expect(check(closePayload(1000)) == nil)
        #expect(check(closePayload(4000, Array("done \u{2713}".utf8))) == nil)
        #expect(check([0x03]) == .protocolError)
        #expect(check(closePayload(1005)) == .protocolError)
        #expect(check(closePayload(1000, [0x61, 0xE2])) == .invalidPayload, "a reason that ends inside a character")
        #expect(StreamEnd.invalidPayload.closeFrame?.code == .dataInconsistentWithMessage)
        #expect(StreamEnd.protocolError.closeFrame?.code == .protocolError)
    }

    // MARK: UTF-8

    /// Every sequence of one and two bytes, and three and four byte sequences around every edge of the well-formed
    /// ranges, judged as the standard library judges them, whole and split at every point.
    @Test func utf8CheckAgreesWithTheStandardLibrary() {
        var sequences: [[UInt8]] = (0...255).map { [UInt8($0)] }
        for first in 0...255 {
            for second in 0...255 { sequences.append([UInt8(first), UInt8(second)]) }
        }
        let edges: [UInt8] = [0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
        for first: UInt8 in 0xE0...0xF4 {
            for second in 0...255 {
                for third in edges { sequences.append([first, UInt8(second), third]) }
                if first >= 0xF0 {
                    for third: UInt8 in [0x80, 0xBF, 0x7F, 0xC0] {
                        for fourth: UInt8 in [0x80, 0xBF, 0x7F, 0xC0] {
                            sequences.append([first, UInt8(second), third, fourth])
                        }
                    }
                }
            }
        }
        var generator = SeededGenerator(seed: 6455)
        let alphabet: [UInt8] = [0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5]
        for _ in 0..<3000 {
            let length = Int.random(in: 1...10, using: &generator)
            sequences.append((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
        }
        var disagreements: [[UInt8]] = []
        for bytes in sequences {
            let expected = String(validating: bytes, as: UTF8.self) != nil
            for split in 0...bytes.count where isUTF8(bytes[..<split], bytes[split...]) != expected {
                disagreements.append(bytes)
                break
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10).map { $0.map { String($0, radix: 16) } })")
    }

    /// Whether the two parts make UTF-8, checked one after the other.
    private func isUTF8(_ first: ArraySlice<UInt8>, _ second: ArraySlice<UInt8>) -> Bool {
        var validator = UTF8Validator()
        guard validator.validate(first), validator.validate(second) else { return false }
        return validator.isComplete
    }

    /// Client frames, as bytes on the wire, through NIO's decoder and the checks: the frames passed on, and the
    /// violation if one was found.
    private func runChecks(_ frames: [[UInt8]]) throws -> (
        passed: [WebSocketFrame], violation: WebSocketFrameChecks.Violation?
    ) {
        let channel = EmbeddedChannel(handlers: [
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: StreamConnection.maximumClientFrame)),
            WebSocketFrameChecks(),
        ])
        var violation: WebSocketFrameChecks.Violation?
        for frame in frames {
            do {
                try channel.writeInbound(ByteBuffer(bytes: frame))
            } catch let error as WebSocketFrameChecks.Violation {
                #expect(violation == nil, "one violation, and nothing after it")
                violation = error
            }
        }
        var passed: [WebSocketFrame] = []
        while let frame = try channel.readInbound(as: WebSocketFrame.self) { passed.append(frame) }
        _ = try channel.finish()
        return (passed, violation)
    }
}

/// A close frame's payload: the status code, then the reason.
private func closePayload(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] {
    [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
}
