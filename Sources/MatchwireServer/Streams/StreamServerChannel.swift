import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import MatchwireCore
import MatchwireStore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import Synchronization

/// The server's connections: HTTP/1.1, upgraded to a websocket on the stream paths.
///
/// hummingbird-websocket's own channel answers every refused upgrade with a bare 400, because SwiftNIO's upgrade
/// handler does not pass a refused upgrade request on. The protocol wants the refusal as a plain HTTP answer with
/// its own status and sentence (404 unknown fixture, 400 bad parameter, 406), so this channel keeps the reason
/// of a refusal and answers it itself. An accepted upgrade becomes a ``StreamConnection``: SwiftNIO's websocket
/// frame codec and a handler on the event loop, so that an idle stream keeps no task.
struct StreamServerChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        /// The connection is a stream, run by its ``StreamConnection`` handler from now on.
        case stream
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, APIError)
        /// The connection is over the limit: answered 503 and closed by its handler.
        case overLimit
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    /// The HTTP routes.
    let responder: HTTPChannelHandler.Responder
    /// Decides whether an upgrade request becomes a stream.
    let streams: StreamEndpoint
    /// The bound on connections open at once.
    let connections: ConnectionLimit
    /// The timeouts and body limit of HTTP connections.
    let limits: HTTPConnectionGuard.Limits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            guard connections.admit(channel) else {
                try channel.pipeline.syncOperations.addHandler(RefuseConnection(limit: connections.limit))
                return Value(upgradeResult: channel.eventLoop.makeSucceededFuture(.overLimit), channel: channel)
            }
            let decision = Mutex<StreamEndpoint.Decision?>(nil)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: StreamConnection.maximumClientFrame,
                shouldUpgrade: { channel, head in
                    // Decided here on the event loop when the store keeps the fixture (the usual connect of a
                    // fan-out); otherwise in a task, which reads it.
                    if let decided = streams.decideAtOnce(head, logger: logger) {
                        decision.withLock { $0 = decided }
                        guard case .accept = decided else { return channel.eventLoop.makeSucceededFuture(nil) }
                        return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                    }
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        let decided = await streams.decide(head, logger: logger)
                        decision.withLock { $0 = decided }
                        guard case .accept = decided else { return nil }
                        return HTTPHeaders()
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard case .accept(let request) = decision.withLock({ $0 }) else {
                            throw ChannelError.inappropriateOperationForState
                        }
                        try StreamConnection.addHandlers(
                            to: channel, request: request, endpoint: streams, logger: logger)
                        return .stream
                    }
                })
            let upgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                        if case .refuse(let error) = decision.withLock({ $0 }) { return .refused(http, error) }
                        return .http(http)
                    }
                })
            // SwiftNIO's upgradable pipeline, as `configureUpgradableHTTPServerPipeline` makes it, with the
            // connection guard after the decoder: it sees every request part and every parse error before anything
            // else, and is removed with the decoder when the connection becomes a websocket. Pipelining is
            // NIOAsyncChannel's; HTTPTypes validates response headers; protocol errors, keep-alive and the
            // connection's timeouts are the guard's (it takes the place of Hummingbird's connection state handler,
            // whose close after an answer could cut the answer short), and so are HEAD answers' bodies: the public
            // decoder cannot tell the encoder that a request was HEAD.
            let encoder = HTTPResponseEncoder()
            let decoder = ByteToMessageHandler(
                HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
            let guardHandler = HTTPConnectionGuard(limits: limits)
            let upgradeHandler = NIOTypedHTTPServerUpgradeHandler(
                httpEncoder: encoder, extraHTTPHandlers: [decoder, guardHandler],
                upgradeConfiguration: upgradeConfiguration)
            try channel.pipeline.syncOperations.addHandlers([encoder, decoder, guardHandler, upgradeHandler])
            return Value(upgradeResult: upgradeHandler.upgradeResultFuture, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            // The upgrade decision waits for the first request, which a client may never finish: when the server
            // stops and cancels this task, the connection is closed, which ends the wait.
            let upgradeResult = try await withTaskCancellationHandler {
                try await value.upgradeResult.get()
            } onCancel: {
                value.channel.close(promise: nil)
            }
            switch upgradeResult {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let error):
                try await http.executeThenClose { _, outbound in
                    let body = error.body
                    var headers = error.headers
                    headers[.contentType] = "application/json"
                    headers[.contentLength] = String(body.readableBytes)
                    headers[.connection] = "close"
                    try await outbound.write(
                        contentsOf: [
                            .head(HTTPResponse(status: error.status, headerFields: headers)), .body(body), .end(nil),
                        ])
                }
            case .stream, .overLimit:
                // The connection stays open without a task: its handler runs it on the event loop.
                break
            }
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }
}

/// The stream paths and the checks made before an upgrade.
struct StreamEndpoint: Sendable {
    let configuration: ServerConfiguration
    let store: any EventStore
    let access: AccessControl
    let hub: StreamHub

    enum Decision: Sendable {
        /// Upgrade, then run the stream.
        case accept(StreamRequest)
        /// Answer this error in plain HTTP and close.
        case refuse(APIError)
    }

    /// Accepts an upgrade request that passes every check, or gives the plain HTTP answer.
    func decide(_ head: HTTPRequestHead, logger: Logger) async -> Decision {
        do {
            let (request, id, content, feed, sport) = try Self.parse(head)
            return .accept(
                try await StreamRequest.check(
                    request, fixtureId: id, content: content, feed: feed, sport: sport, store: store))
        } catch {
            return .refuse(APIError.from(error, logger: logger))
        }
    }

    /// The same decision without a read, when the store keeps the fixture in memory; nil when it must be read
    /// (``decide(_:logger:)``). A request refused before the fixture matters is refused here too.
    func decideAtOnce(_ head: HTTPRequestHead, logger: Logger) -> Decision? {
        do {
            let (request, id, content, feed, sport) = try Self.parse(head)
            return try StreamRequest.checkAtOnce(
                request, fixtureId: id, content: content, feed: feed, sport: sport, store: store
            ).map(Decision.accept)
        } catch {
            return .refuse(APIError.from(error, logger: logger))
        }
    }

    /// The stream an upgrade request's path names, and the request as the routes see one.
    private static func parse(_ head: HTTPRequestHead) throws -> (
        request: Request, fixtureId: String, content: StreamContent, feed: Feed, sport: Sport
    ) {
        guard let (feed, sport, fixtureId, content) = match(head.uri) else {
            throw APIError(
                .badRequest,
                "Only the action and statistics streams (/{sport}/fixtures/{fixtureId}/actions or .../statistics, and the same under /media) accept a websocket upgrade."
            )
        }
        let request = try HTTPRequest(head, secure: false, splitCookie: false)
        return (Request(head: request, body: .init(buffer: ByteBuffer())), fixtureId, content, feed, sport)
    }

    /// `/{S}/fixtures/{id}/actions` or `/{S}/fixtures/{id}/statistics` (betting), the same under `/media` (media);
    /// the query is ignored.
    static func match(_ target: String) -> (Feed, Sport, String, StreamContent)? {
        // Over the UTF-8 bytes: Character-level searching cost several microseconds per connect in the profile.
        var path = target[...]
        if let query = path.utf8.firstIndex(of: UInt8(ascii: "?")) { path = path[..<query] }
        var feed = Feed.betting
        if path.utf8.starts(with: "/media/".utf8) {
            feed = .media
            path = path.dropFirst("/media".count)
        }
        // "", the sport's segments (`v2`, `tabletennis`), "fixtures", the id, the content.
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0].isEmpty, parts[parts.count - 3].elementsEqual("fixtures".utf8),
            let sport = sportsBySegment[path[parts[1].startIndex..<parts[parts.count - 4].endIndex]],
            let content = StreamContent(rawValue: String(Substring(parts[parts.count - 1])))
        else { return nil }
        let id = parts[parts.count - 2]
        guard !id.isEmpty else { return nil }
        return (feed, sport, String(Substring(id)), content)
    }

    /// Each sport by its path's segments (`v2/tabletennis`): one lookup per upgrade, not a prefix test per sport.
    private static let sportsBySegment = Dictionary(
        uniqueKeysWithValues: Sport.allCases.map { (Substring($0.pathSegment), $0) })
}
