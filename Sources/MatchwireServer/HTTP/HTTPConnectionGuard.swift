import NIOCore
import NIOHTTP1

/// Keeps a client from holding an HTTP connection, and answers what the request parser refuses.
///
/// It sits right after SwiftNIO's request decoder, before the upgrade handler (which removes it when a
/// connection becomes a websocket: a stream has its own auth timeout, heartbeats and close wait). It knows,
/// from the request parts going in and the response parts going out, what the connection is doing, and gives
/// each state a bound:
///
/// - a new connection must send a complete request head within `headerTimeout`;
/// - a kept-alive connection may wait `idleTimeout` for its next request, whose head, once its first bytes have
///   come, must be complete within `headerTimeout`;
/// - a request body may pause at most `bodyTimeout` between two reads.
///
/// While a request is being answered no timeout runs: the answer's own work is bounded elsewhere. A head begun
/// and not finished in time is answered 408; a connection that sent nothing, new or kept alive, is closed without
/// a word (nothing was asked, and browsers open connections they may never use); a body that stops is closed (its
/// request is already with the application, whose answer cannot be interleaved).
///
/// A request the parser refuses is answered with a status and a sentence (501 unknown method, 505 version, 431
/// head too large, 400 otherwise) and the connection is closed: after a parse error the bytes that follow cannot
/// be trusted to start a request. A `Content-Length` above the body limit is answered 413 at once, before any of
/// the body is read, and a `Transfer-Encoding` other than chunked 501. When the server shuts down, an idle
/// connection is closed at once and a busy one after its answer.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Limits: Sendable {
        var headerTimeout: TimeAmount
        var bodyTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var maxBodyBytes: Int
    }

    /// What the connection is reading.
    private enum Reading {
        /// Between requests: no byte of the next one yet. `first`: nothing was ever received.
        case waiting(first: Bool)
        /// Bytes of a head have come, not the whole head.
        case head
        /// The head was passed on; its body (possibly empty) is being read.
        case body
        /// The connection is being closed: nothing more is passed on.
        case closing
    }

    private let limits: Limits
    private var reading = Reading.waiting(first: true)
    /// Requests passed on whose answer has not ended.
    private var unanswered = 0
    /// Whether the last read delivered any request part: bytes that delivered none are the start of a head.
    private var deliveredThisRead = false
    /// Close once the answers in flight have ended (shutdown, or a body the parser refused).
    private var closeWhenAnswered = false
    /// An answer of our own that waits for the answers in flight, then closes the connection.
    private var pendingRefusal: Refusal?
    private var timer: Scheduled<Void>?

    init(limits: Limits) {
        self.limits = limits
    }

    // MARK: Inbound

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimer(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deliveredThisRead = true
        switch (reading, unwrapInboundIn(data)) {
        case (.closing, _):
            return
        case (_, .head(let head)):
            if let refusal = Refusal(checking: head, maxBodyBytes: limits.maxBodyBytes) {
                return refuse(refusal, context: context)
            }
            reading = .body
            unanswered += 1
            armTimer(context)
        case (_, .body):
            armTimer(context)
        case (_, .end):
            reading = .waiting(first: false)
            armTimer(context)
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !deliveredThisRead, case .waiting = reading {
            // Bytes came that made no request part yet: a head has begun, and must be complete in time.
            reading = .head
            armTimer(context)
        }
        deliveredThisRead = false
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        switch reading {
        case .closing:
            return
        case .body:
            // The application has this request and reads its body: it gets the error and answers it (400), and
            // the connection closes after that answer.
            closeWhenAnswered = true
            context.fireErrorCaught(error)
        case .waiting, .head:
            refuse(Refusal(parserError: error), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            closeWhenAnswered = true
            switch reading {
            case .waiting where unanswered == 0, .head where unanswered == 0:
                // Nothing asked yet, or only part of a head: nothing to answer.
                close(context)
            default:
                break
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where closeWhenAnswered || pendingRefusal != nil:
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            unanswered = max(0, unanswered - 1)
            context.write(data, promise: promise)
            guard unanswered == 0 else { return }
            if let refusal = pendingRefusal {
                pendingRefusal = nil
                answer(refusal, context: context)
            } else if closeWhenAnswered {
                context.flush()
                close(context)
            } else {
                armTimer(context)
            }
        default:
            context.write(data, promise: promise)
        }
    }

    // MARK: Timeouts

    private func armTimer(_ context: ChannelHandlerContext) {
        cancelTimer()
        let timeout: TimeAmount
        switch reading {
        case .closing: return
        case .waiting where unanswered > 0: return  // an answer is being made: no timeout
        case .waiting(let first): timeout = first ? limits.headerTimeout : limits.idleTimeout
        case .head: timeout = limits.headerTimeout
        case .body: timeout = limits.bodyTimeout
        }
        let reading = self.reading
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.timer = nil
            self.timedOut(while: reading, context: context)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func timedOut(while state: Reading, context: ChannelHandlerContext) {
        switch state {
        case .head where unanswered == 0:
            refuse(
                Refusal(
                    .requestTimeout,
                    "No complete request head was received within \(limits.headerTimeout.secondsText) seconds."),
                context: context)
        default:
            // Nothing was asked (a new connection that sent nothing, as browsers open ahead of need, or a kept-alive
            // one), or a body stopped half way: closed without an answer.
            close(context)
        }
    }

    // MARK: Answers of our own

    /// Answers `refusal` (at once, or after the answers in flight) and closes the connection.
    private func refuse(_ refusal: Refusal, context: ChannelHandlerContext) {
        reading = .closing
        cancelTimer()
        if unanswered == 0 {
            answer(refusal, context: context)
        } else {
            pendingRefusal = refusal
        }
    }

    private func answer(_ refusal: Refusal, context: ChannelHandlerContext) {
        reading = .closing
        let body = APIError.body(refusal.message)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: refusal.status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func close(_ context: ChannelHandlerContext) {
        reading = .closing
        cancelTimer()
        context.close(promise: nil)
    }
}

/// A request refused before the application sees it: a status and a sentence.
struct Refusal: Equatable {
    let status: HTTPResponseStatus
    let message: String

    init(_ status: HTTPResponseStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The refusal of a head that cannot be served whatever its path: nil when it can go on.
    init?(checking head: HTTPRequestHead, maxBodyBytes: Int) {
        let lengths = head.headers["content-length"]
        if let length = lengths.first, let bytes = Int(length), bytes > maxBodyBytes {
            let limit = maxBodyBytes % (1 << 20) == 0 ? "\(maxBodyBytes >> 20) MiB" : "\(maxBodyBytes) bytes"
            self.init(
                .payloadTooLarge, "The request body (Content-Length \(bytes)) is larger than the limit of \(limit).")
            return
        }
        let codings = head.headers[canonicalForm: "transfer-encoding"].map { $0.lowercased() }
        if !codings.isEmpty, codings != ["chunked"] {
            self.init(
                .notImplemented,
                "Transfer-Encoding \(codings.joined(separator: ", ")) is not supported: send the body as is or chunked.")
            return
        }
        return nil
    }

    /// The answer to a request the parser refused. The sentences are ours: no parser text reaches a client.
    init(parserError error: HTTPParserError) {
        switch error {
        case .invalidMethod:
            self.init(
                .notImplemented,
                "The request method is not one this server knows (methods are upper case: GET, POST, PATCH).")
        case .invalidVersion:
            // Also what the parser reports for a request line ended by a bare LF, where it expected CR LF.
            self.init(
                .httpVersionNotSupported,
                "The request line must end with HTTP/1.1 (or HTTP/1.0) and CR LF: no other version is served here.")
        case .headerOverflow:
            self.init(.requestHeaderFieldsTooLarge, "The request head is larger than the server accepts (80 KiB).")
        case .invalidContentLength, .unexpectedContentLength:
            self.init(
                .badRequest,
                "The Content-Length header is not valid: one whole number, and not beside Transfer-Encoding.")
        case .invalidChunkSize:
            self.init(.badRequest, "A chunk size of the chunked request body is not a hexadecimal number.")
        case .invalidHeaderToken, .invalidCharactersUsed:
            self.init(
                .badRequest, "A request header is malformed: each is a name, a colon and a value, without control bytes.")
        case .lfExpected:
            self.init(.badRequest, "The request's lines must end with CR LF.")
        case .invalidURL, .invalidHost, .invalidPort, .invalidPath, .invalidQueryString, .invalidFragment:
            self.init(.badRequest, "The request target is not a valid path.")
        default:
            self.init(.badRequest, "The request is not valid HTTP/1.1.")
        }
    }
}

extension TimeAmount {
    /// Whole seconds as `10`, others as `0.5`.
    var secondsText: String { (Double(nanoseconds) / 1e9).secondsText }
}
