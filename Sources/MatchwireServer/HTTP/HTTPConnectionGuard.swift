import NIOCore
import NIOHTTP1

/// Keeps a client from holding an HTTP connection, and answers what the request parser refuses.
///
/// It sits right after SwiftNIO's request decoder, before ``StreamUpgradeHandler`` (which removes it when a
/// connection becomes a websocket: a stream has its own auth timeout, heartbeats and close wait). It knows,
/// from the request parts going in and the response parts going out, what the connection is doing, and gives
/// each state a bound, on the event loop's clock:
///
/// - a new connection must send a complete request head within `headerTimeout` of its accept;
/// - a kept-alive connection may wait `idleTimeout` for its next request, whose head, once its first bytes have
///   come, must be complete within `headerTimeout` (first bytes that come in the same read as the end of the
///   previous request are bounded by `idleTimeout` instead);
/// - a request body may pause at most `bodyTimeout` between two reads, and take `bodyTimeout` times
///   `bodyTimeoutsPerBody` in all;
/// - an answer may wait at most `sendTimeout` for a client that does not read it.
///
/// While a request is answered and the client reads, no other timeout runs: the answer's own work is bounded
/// elsewhere. A head begun and not finished in time is answered 408; a connection that sent nothing, new or kept
/// alive, is closed without a word (nothing was asked, and browsers open connections they may never use); a body
/// that stops is closed (its request is already with the application, whose answer cannot be interleaved).
///
/// A request the parser refuses is answered with a status and a sentence (501 unknown method, 505 version, 431
/// head too large, 400 otherwise) and the connection is closed: after a parse error the bytes that follow cannot
/// be trusted to start a request. A `Content-Length` above the body limit is answered 413 at once, before any of
/// the body is read, and a `Transfer-Encoding` other than chunked 501. `Expect: 100-continue` is answered 100
/// once the head passes those checks. An answer to HEAD loses its body here (the head keeps its length). When
/// the server shuts down, an idle connection is closed at once and a busy one (or one whose head is on its way)
/// after its answer. A connection is
/// closed after an answer when the request asked for it (`Connection: close`), when the application answered
/// before reading the whole body, or on shutdown: its output first, once the answer is written, so that nothing
/// of the answer is lost and a client still sending gets the answer rather than a reset (see ``Linger``).
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Limits: Sendable {
        var headerTimeout: TimeAmount
        var bodyTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var sendTimeout: TimeAmount
        var maxBodyBytes: Int

        /// A whole body may take this many body timeouts: a client sending a byte now and then cannot hold a
        /// connection for ever.
        static let bodyTimeoutsPerBody: Int64 = 6
    }

    /// What the connection is reading.
    private enum Reading {
        /// Between requests: no byte of the next one yet. `first`: nothing was ever received.
        case waiting(first: Bool)
        /// Bytes of a head have come, not the whole head.
        case head
        /// The head was passed on; its body (possibly empty) is being read, until `deadline` at the latest.
        case body(deadline: NIODeadline)
        /// The connection is being closed: nothing more is passed on.
        case closing
    }

    /// A request passed on whose answer has not ended.
    private struct Unanswered {
        let isHead: Bool
        let keepAlive: Bool
    }

    private let limits: Limits
    private var reading = Reading.waiting(first: true)
    /// The requests passed on whose answers have not ended, oldest first: the answers come in this order.
    private var unanswered: [Unanswered] = []
    /// Whether the last read delivered any request part: bytes that delivered none are the start of a head.
    private var deliveredThisRead = false
    /// Close once the answers in flight have ended (shutdown, a body the parser refused, an answer made before
    /// its body was read).
    private var closeWhenAnswered = false
    /// An answer of our own that waits for the answers in flight, then closes the connection.
    private var pendingRefusal: Refusal?
    /// False once a request said the connection ends with it (or the server is shutting down and a request is
    /// in): later requests on the connection are dropped unread (RFC 9112 §9.6).
    private var acceptsMoreRequests = true
    /// The header, body or idle timeout, whichever applies; moved at every request part without a cancel.
    private var timeout: ConnectionTimeout
    /// The send timeout, armed while a client reads nothing of its answer (the connection not writable): a
    /// `ConnectionTimeout` too, so that a writability change moves it without a cancel.
    private var sendTimeout: ConnectionTimeout
    /// The handler's place, while it is in the pipeline: the timeout's wake-up holds the handler weakly, and
    /// finds the context here.
    private var context: ChannelHandlerContext?

    init(limits: Limits) {
        self.limits = limits
        let shortest = min(limits.headerTimeout, limits.bodyTimeout, limits.idleTimeout)
        timeout = ConnectionTimeout(step: shortest)
        sendTimeout = ConnectionTimeout(step: limits.sendTimeout)
    }

    // MARK: Inbound

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { armTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimer(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        cancelTimers()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deliveredThisRead = true
        if case .closing = reading { return }
        switch unwrapInboundIn(data) {
        case .head where !acceptsMoreRequests:
            reading = .closing
            return
        case .head(let head):
            if let refusal = Refusal(checking: head, maxBodyBytes: limits.maxBodyBytes) {
                return refuse(refusal, context: context)
            }
            if !head.isKeepAlive || closeWhenAnswered { acceptsMoreRequests = false }
            let wholeBody = TimeAmount.nanoseconds(limits.bodyTimeout.nanoseconds * Limits.bodyTimeoutsPerBody)
            reading = .body(deadline: context.eventLoop.now + wholeBody)
            unanswered.append(Unanswered(isHead: head.method == .HEAD, keepAlive: head.isKeepAlive))
            armTimer(context)
            context.fireChannelRead(data)
            // The client waits for this before it sends the body; not while an earlier answer is being written, and
            // never to HTTP/1.0, which has no such answer (RFC 9110 §10.1.1).
            if unanswered.count == 1, (head.version.major, head.version.minor) >= (1, 1),
                head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" })
            {
                context.writeAndFlush(
                    wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        case .body:
            armTimer(context)
            context.fireChannelRead(data)
        case .end:
            reading = .waiting(first: false)
            armTimer(context)
            context.fireChannelRead(data)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !deliveredThisRead, case .waiting(let first) = reading {
            // Bytes came that made no request part yet: a head has begun, and must be complete in time. A new
            // connection's timer runs from its accept already.
            reading = .head
            if !first { armTimer(context) }
        }
        deliveredThisRead = false
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        switch reading {
        case .closing:
            return
        case .body where unanswered.isEmpty:
            // The application has answered this request already: a second answer would follow the first.
            close(context)
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
            if !unanswered.isEmpty { acceptsMoreRequests = false }
            // Nothing asked yet: nothing to answer. A head on its way is let in and answered (Connection: close);
            // its header timeout, or the end of the shutdown, bounds it.
            if case .waiting = reading, unanswered.isEmpty { close(context) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        sendTimeout.disarm()
        if !context.channel.isWritable, !unanswered.isEmpty { armSendTimeout(context) }
        context.fireChannelWritabilityChanged()
    }

    /// The client does not read its answer: it has `sendTimeout` to start again, then the connection goes.
    private func armSendTimeout(_ context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        ConnectionTimeout.schedule(
            sendTimeout.arm(at: now + limits.sendTimeout, now: now), on: context.eventLoop, for: self, \.sendTimeout
        ) { guardHandler in
            // Nothing more will be read of the answer: the connection goes, whatever is still unsent.
            guard let context = guardHandler.context else { return }
            guardHandler.reading = .closing
            guardHandler.cancelTimers()
            context.close(promise: nil)
        }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if unanswered.isEmpty, !part.isInformational {
            // An answer to no request: Hummingbird's own 400 for a body the parser refused after the application had
            // answered. The request has its answer; a second would be read as the answer to the next one.
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        switch part {
        case .head(var head) where head.status.code >= 200:
            if case .body = reading, unanswered.count == 1 {
                // Answered before its whole body came: the rest is not read, the connection is not reused.
                closeWhenAnswered = true
                acceptsMoreRequests = false
            }
            let last = unanswered.count == 1
            if (last && (closeWhenAnswered || pendingRefusal != nil)) || unanswered.first?.keepAlive == false {
                head.headers.replaceOrAdd(name: "connection", value: "close")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            // The connection stopped being writable while no answer was on its way (the end of the one before
            // filled the buffer): this answer is the one the client must read, within the send timeout.
            if !context.channel.isWritable, sendTimeout.deadline == nil { armSendTimeout(context) }
        case .body where unanswered.first?.isHead == true:
            // An answer to HEAD has no body (RFC 9110 §9.3.2); its head already says how long it would be.
            promise?.succeed()
        case .end:
            let answered = unanswered.removeFirst()
            guard unanswered.isEmpty || !answered.keepAlive else { return context.write(data, promise: promise) }
            if pendingRefusal != nil || closeWhenAnswered || !answered.keepAlive {
                let written = promise ?? context.eventLoop.makePromise()
                context.write(data, promise: written)
                written.futureResult.assumeIsolated().whenComplete { [self] _ in
                    if let refusal = self.pendingRefusal {
                        self.pendingRefusal = nil
                        self.answer(refusal, context: context)
                    } else {
                        self.close(context)
                    }
                }
            } else {
                context.write(data, promise: promise)
                armTimer(context)
            }
        default:
            context.write(data, promise: promise)
        }
    }

    // MARK: Timeouts

    private func armTimer(_ context: ChannelHandlerContext) {
        let amount: TimeAmount
        let now = context.eventLoop.now
        switch reading {
        case .closing: return timeout.disarm()
        case .waiting where !unanswered.isEmpty, .head where !unanswered.isEmpty:
            return timeout.disarm()  // an answer is being made: the next head's timer starts when it ends
        case .waiting(let first): amount = first ? limits.headerTimeout : limits.idleTimeout
        case .head: amount = limits.headerTimeout
        case .body(let deadline): amount = max(.zero, min(limits.bodyTimeout, deadline - now))
        }
        ConnectionTimeout.schedule(
            timeout.arm(at: now + amount, now: now), on: context.eventLoop, for: self, \.timeout
        ) { guardHandler in
            if let context = guardHandler.context { guardHandler.timedOut(context) }
        }
    }

    private func cancelTimers() {
        timeout.disarm()
        sendTimeout.disarm()
    }

    private func timedOut(_ context: ChannelHandlerContext) {
        switch reading {
        case .head where unanswered.isEmpty:
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
        timeout.disarm()
        if unanswered.isEmpty {
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
        headers.add(name: "date", value: DateHeader.shared.value)
        headers.add(name: "server", value: DateHeader.serverName)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: refusal.status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { [self] _ in
            self.close(context)
        }
    }

    /// Closes the connection: its output at once, the rest after ``Linger/duration``.
    private func close(_ context: ChannelHandlerContext) {
        reading = .closing
        cancelTimers()
        Linger.close(context, unsentFor: limits.sendTimeout)
    }
}

/// How a connection is closed after an answer: the output first (a FIN after the last byte of the answer), then,
/// after `duration`, the whole connection. In between what the client still sends is read and dropped: closing a
/// socket with unread bytes makes the kernel send a reset, which can destroy the answer in the client's buffers
/// before it reads it (RFC 9112 §9.6). The output's close waits for the answer's last byte to be sent; a client
/// that stops reading has `unsentFor` to take it before the connection goes all the same.
enum Linger {
    static let duration = TimeAmount.seconds(2)

    static func close(_ context: ChannelHandlerContext, unsentFor limit: TimeAmount) {
        let channel = context.channel
        let eventLoop = channel.eventLoop
        let deadline = eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
        channel.close(mode: .output).whenComplete { result in
            deadline.cancel()
            switch result {
            case .success:
                eventLoop.scheduleTask(in: duration) { channel.close(promise: nil) }
            case .failure:
                channel.close(promise: nil)
            }
        }
    }
}

extension HTTPServerResponsePart {
    /// A 1xx head (100 Continue, 101 Switching Protocols): not the answer itself.
    var isInformational: Bool {
        if case .head(let head) = self { return head.status.code < 200 }
        return false
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
                "Transfer-Encoding \(codings.joined(separator: ", ")) is not supported: send the body as is or chunked."
            )
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
                .badRequest,
                "A request header is malformed: each is a name, a colon and a value, without control bytes.")
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
