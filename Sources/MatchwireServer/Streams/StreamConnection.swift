import Foundation
import Logging
import Metrics
import MatchwireCore
import NIOCore
import NIOWebSocket

/// One websocket stream, on its connection's event loop (protocol.md §3).
///
/// It reads the client's frames (the auth message, then nothing that matters; pings are answered and a close is
/// honoured; every frame has passed ``WebSocketFrameChecks``, and a frame that breaks RFC 6455 fails the connection
/// with 1002 or 1007, authenticated or not), runs the auth exchange, writes the heartbeats, and starts the stream's
/// ``StreamDelivery``: a task that sends the backlog and what queued meanwhile, then, on a betting stream, hands the
/// live packets to the hub. The connection itself keeps no task: an idle stream costs its socket, this handler, a
/// scheduled heartbeat and its place in the hub, which is what lets one server hold tens of thousands of them.
///
/// Whatever ends the stream (the client, its delivery, the hub, shutdown) ends it through its ``StreamEnding``;
/// the first reason decides the close frame, after which nothing more is written.
final class StreamConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// The largest message a client may send (its auth message): a larger frame is closed with 1009.
    static let maximumClientFrame = 16 * 1024
    /// The most frames the auth message may be split into.
    static let maximumClientFragments = 64
    /// The kernel send buffer of a stream socket: with the subscriber queue, what a slow client may hold up.
    static let socketSendBuffer = 64 * 1024

    private enum Phase {
        case awaitingAuth
        case authenticating
        case streaming
        /// The close frame is sent (or the connection is gone): nothing more is written.
        case closing
    }

    private let request: StreamRequest
    private let endpoint: StreamEndpoint
    private let logger: Logger
    private var phase = Phase.awaitingAuth
    private var context: ChannelHandlerContext?
    private var stream: OpenStream?
    /// The auth timeout, then the next heartbeat: one timeout, moved without a cancel (``ConnectionTimeout``).
    private var timeout: ConnectionTimeout
    private var delivery: Task<Void, Never>?
    /// Why the stream ended, as counted in the metrics when the handler goes.
    private var endReason: StreamEnd?
    private var metrics: StreamMetrics { endpoint.hub.metrics.streams }

    init(request: StreamRequest, endpoint: StreamEndpoint, logger: Logger) {
        self.request = request
        self.endpoint = endpoint
        self.logger = logger
        // The heartbeat's interval: the auth timeout comes first (a wake-up is never further ahead than its
        // deadline), and each heartbeat then takes one wake-up.
        let configuration = endpoint.configuration
        timeout = ConnectionTimeout(step: TimeAmount(seconds: configuration.heartbeatInterval))
    }

    /// The frame handlers a stream needs after the upgrade (after NIO's frame decoder and protocol error handler):
    /// every frame checked as RFC 6455 requires, fragments of a message joined, then this.
    static func addHandlers(to channel: any Channel, request: StreamRequest, endpoint: StreamEndpoint, logger: Logger)
        throws
    {
        try channel.pipeline.syncOperations.addHandlers(
            WebSocketFrameChecks(),
            NIOWebSocketFrameAggregator(
                minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: maximumClientFragments,
                maxAccumulatedFrameSize: maximumClientFrame),
            StreamConnection(request: request, endpoint: endpoint, logger: logger))
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        metrics.open[StreamOpenKey(feed: request.feed, content: request.content)]?.increment()
        try? context.channel.syncOptions?.setOption(.socketOption(.so_sndbuf), value: Self.socketSendBuffer)
        let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        stream = endpoint.hub.open { reason in
            eventLoop.execute { connection.value.close(because: reason) }
        }
        guard stream != nil else { return close(because: .goingAway) }
        armTimeout(in: TimeAmount(seconds: endpoint.configuration.authTimeout), context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .ping:
            guard phase != .closing else { return }
            metrics.sent.control.increment()
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            closeReceived(frame, context: context)
        case .text, .binary:
            // Only the first message matters (the auth message); the rest is read and dropped.
            guard phase == .awaitingAuth else { return }
            authenticate(frame)
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let violation as WebSocketFrameChecks.Violation:
            // A frame that breaks RFC 6455 fails the connection (§7.1.7): our close frame with 1002 or 1007, before
            // the auth exchange as after it (no ERROR message), then the connection is closed once it is written.
            // With our close frame already sent, the connection is closed at once.
            logger.debug("stream of \(request.fixtureId.wire): \(violation)")
            guard phase != .closing else { return context.close(promise: nil) }
            end(violation.streamEnd, failing: true)
        case NIOWebSocketFrameAggregator.Error.accumulatedFrameSizeIsTooLarge,
            NIOWebSocketFrameAggregator.Error.tooManyFragments:
            end(.messageTooLarge)
        case is NIOWebSocketFrameAggregator.Error:
            end(.protocolError)
        case is NIOWebSocketError:
            // A frame the decoder refused: NIO's protocol error handler has sent the close frame (1002, 1009) and
            // closes the connection once it is written.
            end(.protocolError, frameSent: true)
        default:
            // Anything else (a reset connection) ends the stream as the client's doing.
            logger.debug("stream connection failed: \(error)")
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The listener is shutting down (``Listener``): the stream ends as the hub ends it at a shutdown, with 1001
        // and its sentence, so that the listener's shutdown never waits on an open stream.
        if event is ChannelShouldQuiesceEvent { end(.goingAway) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        leaveHub()
        logger.debug("stream of \(request.fixtureId.wire) closed")
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Added to a connection that had already closed (its channelInactive passed before): the hub still lists it.
        leaveHub()
        self.context = nil
        metrics.open[StreamOpenKey(feed: request.feed, content: request.content)]?.decrement()
        metrics.closed(endReason ?? .clientClosed)
    }

    /// The connection closed: the stream ends and leaves the hub (once).
    private func leaveHub() {
        stream?.ending.end(.clientClosed)
        stop()
        if let stream { endpoint.hub.close(stream, topic: request.topic) }
        stream = nil
    }

    // MARK: Auth exchange

    private func authenticationTimedOut() {
        guard phase == .awaitingAuth else { return }
        refuse(
            ControlMessage.error(
                "No authentication message was received within \(endpoint.configuration.authTimeout.secondsText) seconds."
            ))
    }

    /// Checks the first message's token and answers INFO or ERROR.
    private func authenticate(_ frame: WebSocketFrame) {
        guard let context else { return }
        timeout.disarm()
        phase = .authenticating
        guard frame.opcode == .text, let json = try? JSONValue.parse(Array(frame.unmaskedData.readableBytesView)),
            let token = json["authToken"]?.stringValue
        else {
            return refuse(ControlMessage.incorrectFormat)
        }
        let (access, request, logger, hub) = (endpoint.access, request, logger, endpoint.hub)
        guard let stream else { return }
        // A token the server checked recently, and unchanged since, is answered here on the event loop; only a
        // token the table does not have is read from the store, in a task.
        do {
            if let record = try access.authorizeStreamFromTable(token, feed: request.feed, sport: request.sport) {
                hub.authenticated(stream, token: record.name)
                return authenticated(refusal: nil)
            }
        } catch let error as APIError {
            return authenticated(refusal: ControlMessage.error(error.message))
        } catch {
            return authenticated(refusal: ControlMessage.error("The server could not check the token; try again."))
        }
        let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        Task {
            var refusal: String?
            do {
                let record = try await access.authorizeStream(token, feed: request.feed, sport: request.sport)
                // Known to the hub by its token from now on, so that revoking the token ends it.
                hub.authenticated(stream, token: record.name)
            } catch let error as APIError {
                refusal = ControlMessage.error(error.message)
            } catch {
                logger.error("stream authentication failed: \(error)")
                refusal = ControlMessage.error("The server could not check the token; try again.")
            }
            eventLoop.execute { [refusal] in connection.value.authenticated(refusal: refusal) }
        }
    }

    private func authenticated(refusal: String?) {
        guard phase == .authenticating, let context, let stream else { return }
        if let refusal { return refuse(refusal) }
        phase = .streaming
        write(ControlMessage.accepted, kind: metrics.sent.control, context: context)
        armTimeout(in: TimeAmount(seconds: endpoint.configuration.heartbeatInterval), context: context)
        let delivery = StreamDelivery(
            request: request, configuration: endpoint.configuration, store: endpoint.store, hub: endpoint.hub,
            stream: stream, output: StreamOutput(channel: context.channel, ending: stream.ending), logger: logger)
        // A current client of a live fixture is handed to the hub here; any other stream reads the store first.
        guard let subscription = delivery.subscribe() else { return }
        self.delivery = Task {
            if let end = await delivery.run(subscription) { stream.ending.end(end) }
        }
    }

    /// Sends the ERROR message, then closes with 1008.
    private func refuse(_ message: String) {
        guard let context else { return }
        write(message, kind: metrics.sent.control, context: context)
        end(.authentication)
    }

    // MARK: Auth timeout and heartbeats

    private func armTimeout(in amount: TimeAmount, context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        ConnectionTimeout.schedule(timeout.arm(at: now + amount, now: now), on: context.eventLoop, for: self, \.timeout)
        {
            $0.timedOut()
        }
    }

    /// The auth timeout when the auth message has not come; the heartbeat's time when streaming.
    private func timedOut() {
        switch phase {
        case .awaitingAuth:
            authenticationTimedOut()
        case .streaming:
            heartbeat()
            // The heartbeat's write may have closed the connection (and stopped the stream) at once.
            if phase == .streaming, let context {
                armTimeout(in: TimeAmount(seconds: endpoint.configuration.heartbeatInterval), context: context)
            }
        case .authenticating, .closing:
            break
        }
    }

    /// A heartbeat, unless the client is not reading: a heartbeat shows the connection is alive, and piling them
    /// up for a client that reads nothing would only hold memory.
    private func heartbeat() {
        guard phase == .streaming, let context, context.channel.isWritable else { return }
        write(ControlMessage.heartbeat(at: .now), kind: metrics.sent.heartbeat, context: context)
    }

    /// Writes a text message, counted as `kind` of message sent.
    private func write(_ message: String, kind: Counter, context: ChannelHandlerContext) {
        kind.increment()
        let frame = WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: message))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    // MARK: Closing

    /// Ends the stream from here; the first reason given by anyone decides how it closes.
    private func end(_ reason: StreamEnd, frameSent: Bool = false, failing: Bool = false) {
        stream?.ending.end(reason)
        close(because: stream?.ending.reason ?? reason, frameSent: frameSent, failing: failing)
    }

    /// Stops everything the stream runs and sends its close frame, once (unless NIO's protocol error handler sent
    /// it already). The client's close frame answers it, and the connection is closed then; when `failing` (the
    /// client broke the protocol, and nothing more of it is read) it is closed as soon as the frame is written. A
    /// client that reads nothing cannot receive the frame: after `streamCloseWait` the connection is dropped instead.
    private func close(because reason: StreamEnd, frameSent: Bool = false, failing: Bool = false) {
        guard phase != .closing, let context else { return }
        stop()
        endReason = reason
        logger.debug("stream of \(request.fixtureId.wire) ends: \(reason)")
        guard let frame = reason.closeFrame else { return context.close(promise: nil) }
        let channel = context.channel
        if !frameSent {
            if let message = reason.errorMessage { write(message, kind: metrics.sent.control, context: context) }
            metrics.sent.control.increment()
            var data = context.channel.allocator.buffer(capacity: 2 + frame.reason.utf8.count)
            data.write(webSocketErrorCode: frame.code)
            data.writeString(frame.reason)
            let written = context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            if failing {
                written.whenComplete { _ in channel.close(promise: nil) }
            } else {
                written.whenFailure { _ in channel.close(promise: nil) }
            }
        }
        // Not cancelled when the client closes first (a cancel scans every scheduled task of the loop): closing a
        // closed channel does nothing.
        context.eventLoop.scheduleTask(in: TimeAmount(endpoint.configuration.streamCloseWait)) { [weak channel] in
            channel?.close(promise: nil)
        }
    }

    /// The client's close frame: the answer to ours, or its own, which is answered with the same status code. Its
    /// payload has been checked (``WebSocketFrameChecks``): empty, or a code a client may send and a UTF-8 reason.
    private func closeReceived(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        guard phase != .closing else { return context.close(promise: nil) }
        stream?.ending.end(.clientClosed)
        stop()
        endReason = .clientClosed
        metrics.sent.control.increment()
        var data = frame.unmaskedData
        let status = data.readSlice(length: min(2, data.readableBytes)) ?? ByteBuffer()
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: status)))
            .whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
    }

    /// Enters `closing` and stops everything the stream runs: from here nothing more is written.
    private func stop() {
        phase = .closing
        timeout.disarm()
        delivery?.cancel()
    }
}

/// Where a stream's delivery writes its packets: onto the connection, in order with everything else written on
/// its event loop, and never once the stream is ending.
struct StreamOutput: Sendable {
    let channel: any Channel
    let ending: StreamEnding

    struct Closed: Error {}

    /// Writes one packet. Returns at once while the connection takes more; otherwise when this frame has been
    /// written to the socket, so that a client that reads slowly holds back the sender, not the server's memory.
    func write(_ bytes: ByteBuffer) async throws {
        try await channel.eventLoop.flatSubmit { [channel, ending] () -> EventLoopFuture<Void> in
            guard ending.reason == nil else { return channel.eventLoop.makeFailedFuture(Closed()) }
            let written = channel.eventLoop.makePromise(of: Void.self)
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: bytes), promise: written)
            return channel.isWritable ? channel.eventLoop.makeSucceededVoidFuture() : written.futureResult
        }.get()
    }
}

extension TimeAmount {
    init(seconds: Double) {
        self = .nanoseconds(Int64(seconds * 1_000_000_000))
    }
}
