import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// What a connection's first request makes of it: a websocket stream, a refused upgrade answered in plain HTTP, or
/// an HTTP connection for the routes (``StreamServerChannel/UpgradeResult``).
///
/// It takes the place of SwiftNIO's `NIOTypedHTTPServerUpgradeHandler` and `NIOTypedWebSocketServerUpgrader`, with
/// their decisions, but takes each step at once on the event loop: theirs chain a future per step (the handlers
/// removed, the 101 written, the encoder removed, the websocket handlers added, the result), a fifth of a
/// connect's CPU in the profile. What it decides, in the order SwiftNIO's handlers did:
///
/// - A first request without a `websocket` token in `Upgrade` and an `upgrade` token in `Connection`, or without
///   exactly one `Sec-WebSocket-Key` and a `Sec-WebSocket-Version` of 13, is an HTTP request: the connection goes to
///   the routes with it (SwiftNIO's handler passed none of a request with an `Upgrade` header on, so such a
///   request went unanswered).
/// - Otherwise the stream endpoint decides (``StreamEndpoint/firstLook(_:logger:)``, and when the store keeps no copy
///   of the fixture, ``StreamEndpoint/decide(_:logger:)`` in a task; the request's parts that come meanwhile are
///   kept). A refusal goes to the routes' side with its error, which is answered in plain HTTP and closed.
/// - An accepted upgrade waits for the request's end; then the HTTP handlers leave, the 101 answer is written, and
///   the websocket handlers and the stream's (``StreamConnection/addHandlers(to:request:endpoint:logger:)``) take
///   their place. Bytes the client sent after its request are passed on to the frame decoder by the HTTP decoder
///   as it leaves (`leftOverBytesStrategy: .forwardBytes`).
/// - A request that sends a body with its upgrade, or half-closes before its request ended, has its connection
///   closed (SwiftNIO's handler failed the upgrade and left the connection open). A connection that closes before
///   the stream's handlers are added gets none.
final class StreamUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    /// The 101 answer, written once the HTTP encoder has left.
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// No request yet.
        case awaitingHead
        /// An upgrade request whose fixture is being read: its later parts are kept for the routes if it is refused.
        case deciding(head: HTTPRequestHead, key: String, later: [HTTPServerRequestPart], ended: Bool)
        /// An accepted upgrade whose request has not ended yet.
        case accepted(StreamRequest, key: String)
        /// The connection is handed on (or closed): this handler has nothing more to do.
        case done

        var isDone: Bool {
            if case .done = self { return true }
            return false
        }
    }

    private let streams: StreamEndpoint
    private let logger: Logger
    /// The HTTP handlers that leave at the upgrade: the request decoder, the connection guard and the response encoder.
    private let httpDecoder: any RemovableChannelHandler
    private let connectionGuard: HTTPConnectionGuard
    private let httpEncoder: HTTPResponseEncoder
    private let result: EventLoopPromise<StreamServerChannel.UpgradeResult>
    private var state = State.awaitingHead
    private var context: ChannelHandlerContext?
    /// The client half-closed after its whole upgrade request, while the fixture was read.
    private var inputClosedWhileDeciding = false
    /// The server began shutting down (the listener's quiesce event) before the connection became a stream: the
    /// stream is told once its handlers are in, so that it closes (with 1001) rather than outlive the shutdown.
    private var quiescedBeforeTheStream = false

    /// What the connection became: completed once, failed if the connection ends before.
    var upgradeResult: EventLoopFuture<StreamServerChannel.UpgradeResult> { result.futureResult }

    init(
        streams: StreamEndpoint, logger: Logger, httpDecoder: any RemovableChannelHandler,
        connectionGuard: HTTPConnectionGuard, httpEncoder: HTTPResponseEncoder, eventLoop: any EventLoop
    ) {
        self.streams = streams
        self.logger = logger
        self.httpDecoder = httpDecoder
        self.connectionGuard = connectionGuard
        self.httpEncoder = httpEncoder
        self.result = eventLoop.makePromise()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Closed before it decided (or while the fixture was read): nothing more is done for this connection.
        if case .done = state {
        } else {
            state = .done
            result.fail(ChannelError.ioOnClosedChannel)
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        // Removed before it decided: the connection closed (a decided one completed the result first).
        result.fail(ChannelError.ioOnClosedChannel)
        state = .done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (state, part) {
        case (.awaitingHead, .head(let head)):
            guard let key = Self.websocketKey(head) else { return toRoutes(context: context, parts: [part]) }
            switch streams.firstLook(head, logger: logger) {
            case .decided(.accept(let request)):
                state = .accepted(request, key: key)
            case .decided(.refuse(let error)):
                toRoutes(context: context, parts: [part], refusal: error)
            case .needsFixture(let checked):
                state = .deciding(head: head, key: key, later: [], ended: false)
                let (streams, logger) = (streams, logger)
                context.eventLoop.makeFutureWithTask { await streams.decide(checked, logger: logger) }
                    .assumeIsolated().whenSuccess { self.decided($0) }
            }
        case (.accepted(let request, let key), .end):
            upgrade(context: context, request: request, key: key)
        case (.deciding(let head, let key, var later, false), .end):
            later.append(part)
            state = .deciding(head: head, key: key, later: later, ended: true)
        case (.done, _):
            context.fireChannelRead(data)
        default:
            // A part out of order for an upgrade: a body, a second head, or parts before a head.
            fail(context: context, HTTPServerUpgradeErrors.invalidHTTPOrdering)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !state.isDone { quiescedBeforeTheStream = true }
        guard case ChannelEvent.inputClosed = event else { return context.fireUserInboundEventTriggered(event) }
        switch state {
        case .done:
            context.fireUserInboundEventTriggered(event)
        case .deciding(_, _, _, true):
            // The whole request came: the decision is still acted on, then the next handlers see the half-close.
            inputClosedWhileDeciding = true
        default:
            // Half-closed before its request ended: nothing more can come to finish it.
            fail(context: context, ChannelError.inputClosed)
        }
    }

    /// The fixture's read decided an upgrade request, on the event loop.
    private func decided(_ decision: StreamEndpoint.Decision) {
        guard let context, context.channel.isActive, case .deciding(let head, let key, let later, let ended) = state
        else { return }
        switch decision {
        case .accept(let request):
            guard ended else {
                state = .accepted(request, key: key)
                return
            }
            upgrade(context: context, request: request, key: key, inputClosed: inputClosedWhileDeciding)
        case .refuse(let error):
            toRoutes(
                context: context, parts: [.head(head)] + later, refusal: error, inputClosed: inputClosedWhileDeciding,
                outsideRead: true)
        }
    }

    /// The connection as the routes see it: SwiftNIO's HTTPTypes codec and an async channel, which Hummingbird's
    /// responder reads; `parts` are the request's parts read so far, then a half-close if one came. A refused
    /// upgrade is answered with `refusal`. Parts passed on `outsideRead` (after a fixture's read) end with a read
    /// complete, as a socket read would.
    private func toRoutes(
        context: ChannelHandlerContext, parts: [HTTPServerRequestPart], refusal: APIError? = nil,
        inputClosed: Bool = false, outsideRead: Bool = false
    ) {
        do {
            try context.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                wrappingChannelSynchronously: context.channel,
                configuration: .init(isOutboundHalfClosureEnabled: true))
            state = .done
            result.succeed(refusal.map { .refused(http, $0) } ?? .http(http))
            for part in parts { context.fireChannelRead(wrapInboundOut(part)) }
            if outsideRead { context.fireChannelReadComplete() }
            if inputClosed { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            fail(context: context, error)
        }
    }

    /// Switches the connection to the websocket protocol: the HTTP handlers leave, the 101 answer goes out, the
    /// stream's handlers come (told of a half-close that came meanwhile), and this handler leaves.
    private func upgrade(
        context: ChannelHandlerContext, request: StreamRequest, key: String, inputClosed: Bool = false
    ) {
        let pipeline = context.pipeline.syncOperations
        do {
            // The guard and the encoder leave at once; the decoder, which this read is coming from, once its read is
            // done, passing on any bytes that followed the request (to the frame decoder added below).
            pipeline.removeHandler(connectionGuard, promise: nil)
            pipeline.removeHandler(httpEncoder, promise: nil)
            pipeline.removeHandler(httpDecoder, promise: nil)
            context.writeAndFlush(
                wrapOutboundOut(Self.switchingProtocols(key: key, allocator: context.channel.allocator)), promise: nil)
            // A write that failed (the client reset the connection) closed it at once: no stream is added to it.
            guard context.channel.isActive else { return fail(context: context, ChannelError.ioOnClosedChannel) }
            try pipeline.addHandler(WebSocketFrameEncoder())
            try pipeline.addHandler(
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: StreamConnection.maximumClientFrame)))
            try pipeline.addHandler(WebSocketProtocolErrorHandler())
            try StreamConnection.addHandlers(to: context.channel, request: request, endpoint: streams, logger: logger)
            state = .done
            result.succeed(.stream)
            if inputClosed { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
            if quiescedBeforeTheStream { context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
            pipeline.removeHandler(context: context, promise: nil)
        } catch {
            fail(context: context, error)
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        state = .done
        result.fail(error)
        context.close(promise: nil)
    }

    /// The key of a websocket upgrade request, as RFC 6455 §4.2.1 asks: `Upgrade` names `websocket`, `Connection`
    /// names `upgrade`, one `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`. Nil for any other request, which the
    /// routes answer. (SwiftNIO's upgrader did not require `Connection: upgrade`; without it the request parser
    /// does not stop after the request, and would parse what follows as HTTP after the 101.)
    static func websocketKey(_ head: HTTPRequestHead) -> String? {
        // One pass over the headers, without an allocation but the key's (the same rules as `[canonicalForm:]`:
        // every line of a name, its comma-separated elements trimmed).
        var upgradesToWebsocket = false
        var connectionUpgrade = false
        var (key, keys) = (Substring(), 0)
        var (version, versions) = (Substring(), 0)
        for (name, value) in head.headers {
            if name.equalsIgnoringASCIICase("upgrade") {
                value.forEachHTTPListElement {
                    if $0.equalsIgnoringASCIICase("websocket") { upgradesToWebsocket = true }
                }
            } else if name.equalsIgnoringASCIICase("connection") {
                value.forEachHTTPListElement { if $0.equalsIgnoringASCIICase("upgrade") { connectionUpgrade = true } }
            } else if name.equalsIgnoringASCIICase("sec-websocket-key") {
                value.forEachHTTPListElement { (key, keys) = ($0, keys + 1) }
            } else if name.equalsIgnoringASCIICase("sec-websocket-version") {
                value.forEachHTTPListElement { (version, versions) = ($0, versions + 1) }
            }
        }
        guard upgradesToWebsocket, connectionUpgrade, keys == 1, versions == 1, version == "13" else { return nil }
        return String(key)
    }

    /// The 101 answer to an accepted upgrade, with the `Sec-WebSocket-Accept` RFC 6455 §4.2.2 derives from the key.
    static func switchingProtocols(key: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        let digest = Insecure.SHA1.hash(data: Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        let accept = Data(digest).base64EncodedString()
        return allocator.buffer(
            string: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(accept)\r\n\r\n")
    }
}
