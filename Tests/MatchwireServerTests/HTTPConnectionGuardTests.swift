import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import MatchwireServer

/// Every way a client can hold an HTTP connection has a bound, and every request the parser refuses an answer:
/// the connection guard over an embedded channel, with SwiftNIO's real HTTP codec, on a clock the test moves.
@Suite struct HTTPConnectionGuardTests {
    static let limits = HTTPConnectionGuard.Limits(
        headerTimeout: .seconds(10), bodyTimeout: .seconds(10), idleTimeout: .seconds(60), sendTimeout: .seconds(60),
        maxBodyBytes: 1 << 20)

    /// A connected channel with the codec and the guard, as the server sets them up.
    static func connection() throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandlers([
            HTTPResponseEncoder(), ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)),
            HTTPConnectionGuard(limits: limits),
        ])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, loop)
    }

    /// Everything the guard or the application wrote to the socket, as text.
    static func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    /// The application's answer to the request it was given.
    static func answer(_ channel: EmbeddedChannel, keepAlive: Bool = true) throws {
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "content-length", value: "0")
        try channel.writeOutbound(HTTPServerResponsePart.head(head))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
    }

    /// The head of a large answer (a megabyte announced), the start of what a client must read.
    static func startLargeAnswer(_ channel: EmbeddedChannel) throws {
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "content-length", value: "1000000")
        try channel.writeOutbound(HTTPServerResponsePart.head(head))
    }

    /// The client reads (the connection writable again) or stops reading (not writable), as the socket tells it.
    static func clientReads(_ reads: Bool, on channel: EmbeddedChannel) {
        channel.isWritable = reads
        channel.pipeline.fireChannelWritabilityChanged()
    }

    // MARK: Timeouts

    @Test func aConnectionThatSendsNothingIsClosedSilentlyAfterTheHeaderTimeout() throws {
        let (channel, loop) = try Self.connection()
        loop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(try Self.written(channel).isEmpty, "nothing was asked: nothing is answered")
    }

    @Test func aHeadThatIsNeverFinishedIsAnswered408() throws {
        let (channel, loop) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "GET /v2/tabletennis/fixtures HTTP/1.1\r\nHost: x\r\n"))
        loop.advanceTime(by: .seconds(10))
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout"))
        #expect(text.contains(#"{"errorMessage":"No complete request head was received within 10 seconds."}"#))
        #expect(!channel.isActive)
    }

    @Test func aNewConnectionsHeadTimeoutRunsFromItsAcceptNotFromItsFirstByte() throws {
        let (channel, loop) = try Self.connection()
        loop.advanceTime(by: .seconds(9))
        try channel.writeInbound(ByteBuffer(string: "G"))
        loop.advanceTime(by: .seconds(1))
        #expect(try Self.written(channel).hasPrefix("HTTP/1.1 408"), "a head was begun: it is answered")
        #expect(!channel.isActive)
    }

    @Test func aKeptAliveConnectionIsClosedSilentlyAfterTheIdleTimeoutAndNotBefore() throws {
        let (channel, loop) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) != nil)
        // No timeout runs while the application makes its answer.
        loop.advanceTime(by: .seconds(120))
        #expect(channel.isActive)
        try Self.answer(channel)
        _ = try Self.written(channel)
        loop.advanceTime(by: .seconds(59))
        #expect(channel.isActive, "idle for less than the idle timeout")
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(try Self.written(channel).isEmpty, "nothing was asked: nothing is answered")
    }

    @Test func theNextRequestsHeadHasTheHeaderTimeoutOnceItsFirstBytesCome() throws {
        let (channel, loop) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        try Self.answer(channel)
        _ = try Self.written(channel)
        loop.advanceTime(by: .seconds(30))
        try channel.writeInbound(ByteBuffer(string: "GET / HTT"))
        loop.advanceTime(by: .seconds(10))
        #expect(try Self.written(channel).hasPrefix("HTTP/1.1 408"))
        #expect(!channel.isActive)
    }

    @Test func aBodyThatPausesLongerThanTheBodyTimeoutIsClosed() throws {
        let (channel, loop) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"))
        loop.advanceTime(by: .seconds(9))
        try channel.writeInbound(ByteBuffer(string: "def"))
        loop.advanceTime(by: .seconds(9))
        #expect(channel.isActive, "each read of the body restarts the body timeout")
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func aBodyTrickledInUnderTheBodyTimeoutStillEndsAtSixBodyTimeouts() throws {
        let (channel, loop) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"))
        for _ in 0..<6 {
            loop.advanceTime(by: .seconds(9))
            if channel.isActive { try channel.writeInbound(ByteBuffer(string: "a")) }
        }
        #expect(channel.isActive, "54 s in, each byte within 10 s of the one before")
        loop.advanceTime(by: .seconds(6))
        #expect(!channel.isActive, "a whole body may take 60 s at the most")
    }

    @Test func anAnswerTheClientDoesNotReadIsDroppedAfterTheSendTimeout() throws {
        let (channel, loop) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        try Self.startLargeAnswer(channel)
        Self.clientReads(false, on: channel)
        loop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func aClientThatReadsAgainInTimeKeepsItsAnswer() throws {
        let (channel, loop) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        Self.clientReads(false, on: channel)
        loop.advanceTime(by: .seconds(30))
        Self.clientReads(true, on: channel)
        loop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
    }

    /// The send timeout counts from the last time the connection stopped being writable: the wake-up scheduled
    /// for the first stop does not close it (the timeout moves on without a cancel).
    @Test func aClientThatReadsALittleMovesItsSendTimeoutOn() throws {
        let (channel, loop) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        Self.clientReads(false, on: channel)
        loop.advanceTime(by: .seconds(59))
        Self.clientReads(true, on: channel)
        Self.clientReads(false, on: channel)
        loop.advanceTime(by: .seconds(59))
        #expect(channel.isActive, "59 s after it last stopped reading (118 s in all)")
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    /// A connection that stopped being writable between two answers (the end of the first filled the buffer) gets
    /// its send timeout when the next answer starts: no answer is left without a bound.
    @Test func anAnswerStartedOnAFullConnectionHasTheSendTimeout() throws {
        let (channel, loop) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"))
        try Self.answer(channel)
        Self.clientReads(false, on: channel)
        try channel.writeInbound(ByteBuffer(string: "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"))
        try Self.startLargeAnswer(channel)
        loop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive, "60 s after the answer began without the client reading")
    }

    // MARK: Answers

    @Test func anAnswerToHeadHasNoBody() throws {
        let (channel, _) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"))
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "content-length", value: "5")
        try channel.writeOutbound(HTTPServerResponsePart.head(head))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "hello"))))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        let text = try Self.written(channel)
        #expect(text.hasSuffix("content-length: 5\r\n\r\n"), "\(text)")
        #expect(channel.isActive, "kept alive")
    }

    @Test func expectContinueIsAnsweredOnceTheHeadPassesItsChecks() throws {
        let (channel, _) = try Self.connection()
        try channel.writeInbound(
            ByteBuffer(string: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"))
        #expect(try Self.written(channel) == "HTTP/1.1 100 Continue\r\n\r\n")
        let (tooLarge, _) = try Self.connection()
        try tooLarge.writeInbound(
            ByteBuffer(
                string: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nExpect: 100-continue\r\n\r\n"))
        #expect(try Self.written(tooLarge).hasPrefix("HTTP/1.1 413"))
    }

    @Test func aConnectionIsClosedAfterItsAnswerWhenTheRequestAskedOrTheBodyWasNotRead() throws {
        let (asked, _) = try Self.connection()
        try asked.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        try Self.answer(asked)
        #expect(try Self.written(asked).lowercased().contains("connection: close"))
        #expect(!asked.isActive)

        let (unread, _) = try Self.connection()
        try unread.writeInbound(ByteBuffer(string: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"))
        try Self.answer(unread)  // 401, say, before the body was read
        #expect(try Self.written(unread).lowercased().contains("connection: close"), "the client is told")
        #expect(!unread.isActive, "the rest of the body is not read: the connection is not reused")
    }

    @Test func aRequestPipelinedAfterOneThatEndsTheConnectionIsNeverPassedOn() throws {
        let (channel, _) = try Self.connection()
        try channel.writeInbound(
            ByteBuffer(
                string: "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))
        guard case .head(let head) = try channel.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("the first request is passed on")
            return
        }
        #expect(head.uri == "/a")
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == .end(nil))
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil, "POST /b is not processed")
        try Self.answer(channel)
        #expect(!channel.isActive)
    }

    @Test func aSecondAnswerToTheSameRequestIsRefused() throws {
        let (channel, _) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        try Self.answer(channel)
        _ = try Self.written(channel)
        #expect(throws: (any Error).self) {
            try channel.writeOutbound(
                HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .badRequest)))
        }
        #expect(try Self.written(channel).isEmpty)
    }

    // MARK: Requests the parser refuses

    @Test(arguments: [
        ("FOO / HTTP/1.1\r\nHost: x\r\n\r\n", "501 Not Implemented"),
        ("get / HTTP/1.1\r\nHost: x\r\n\r\n", "501 Not Implemented"),
        ("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "400 Bad Request"),
        ("GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", "400 Bad Request"),
        ("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "400 Bad Request"),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "400 Bad Request"),
        ("GET / HTTP/1.1\nHost: x\n\n", "505 HTTP Version Not Supported"),
        ("GET / HTTP/3.0\r\nHost: x\r\n\r\n", "505 HTTP Version Not Supported"),
        ("GET / HTTP/1.1\r\nHost x\r\n\r\n", "400 Bad Request"),
        ("GET / HTTP/1.1\r\nHo\0st: x\r\n\r\n", "400 Bad Request"),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ""),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "501 Not Implemented"),
        ("POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", "413 Payload Too Large"),
    ])
    func aRequestTheParserRefusesIsAnsweredWithASentenceAndClosed(request: String, status: String) throws {
        let (channel, _) = try Self.connection()
        do {
            try channel.writeInbound(ByteBuffer(string: request))
        } catch {
            Issue.record("the guard let a parse error through: \(error)")
        }
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil, "the application never sees it")
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 " + status), "\(text)")
        #expect(text.contains(#"{"errorMessage":""#))
        #expect(text.lowercased().contains("connection: close"))
        #expect(!channel.isActive)
    }

    // MARK: Shutdown

    @Test func shutdownClosesAnIdleConnectionAtOnceAndABusyOneAfterItsAnswer() throws {
        let (idle, _) = try Self.connection()
        idle.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!idle.isActive)

        let (halfHead, _) = try Self.connection()
        try halfHead.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHo"))
        halfHead.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(halfHead.isActive, "a head on its way is let in")
        try halfHead.writeInbound(ByteBuffer(string: "st: x\r\n\r\n"))
        try Self.answer(halfHead)
        #expect(try Self.written(halfHead).lowercased().contains("connection: close"))
        #expect(!halfHead.isActive)
        let (slowHead, _) = try Self.connection()
        try slowHead.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHo"))
        slowHead.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        slowHead.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(!slowHead.isActive, "and bounded by the header timeout")

        let (busy, _) = try Self.connection()
        try busy.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        busy.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(busy.isActive, "the request in flight is answered first")
        try Self.answer(busy)
        #expect(try Self.written(busy).lowercased().contains("connection: close"))
        #expect(!busy.isActive)
    }
}
