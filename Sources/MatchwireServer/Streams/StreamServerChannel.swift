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

/// The server's connections: HTTP/1.1, upgraded to a websocket on the stream paths.
///
/// hummingbird-websocket's own channel answers every refused upgrade with a bare 400, because SwiftNIO's upgrade
/// handler does not pass a refused upgrade request on. The protocol wants the refusal as a plain HTTP answer with
/// its own status and sentence (404 unknown fixture, 400 bad parameter, 406), so this channel keeps the reason
/// of a refusal and answers it itself. ``StreamUpgradeHandler`` decides what the first request makes of the
/// connection; an accepted upgrade becomes a ``StreamConnection``: SwiftNIO's websocket frame codec and a handler on
/// the event loop, so that an idle stream keeps no task.
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
        /// What the connection's first request made of it.
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
            // SwiftNIO's HTTP/1 handlers, as `configureUpgradableHTTPServerPipeline` adds them, with the connection
            // guard after the decoder: it sees every request part and every parse error before anything else, and
            // leaves with the decoder when the connection becomes a websocket. Then ``StreamUpgradeHandler``, which
            // makes the connection a stream or hands it to the routes. Pipelining is NIOAsyncChannel's; HTTPTypes
            // validates response headers; protocol errors, keep-alive and the connection's timeouts are the guard's
            // (it takes the place of Hummingbird's connection state handler, whose close after an answer could cut
            // the answer short), and so are HEAD answers' bodies: the public decoder cannot tell the encoder that a
            // request was HEAD.
            let encoder = HTTPResponseEncoder()
            let decoder = ByteToMessageHandler(
                HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
            let guardHandler = HTTPConnectionGuard(limits: limits)
            let upgradeHandler = StreamUpgradeHandler(
                streams: streams, logger: logger, httpDecoder: decoder, connectionGuard: guardHandler,
                httpEncoder: encoder, eventLoop: channel.eventLoop)
            try channel.pipeline.syncOperations.addHandlers([encoder, decoder, guardHandler, upgradeHandler])
            return Value(upgradeResult: upgradeHandler.upgradeResult, channel: channel)
        }
    }

    /// What `ServerChildChannel` asks for, which Hummingbird's own server would call in a task per connection; not
    /// used (a connection still waiting for its first request would not be closed when the task is cancelled).
    /// ``Listener`` calls ``run(_:logger:)`` instead, and only for the connections that need a task.
    func handle(value: Value, logger: Logger) async {
        do {
            await run(try await value.upgradeResult.get(), logger: logger)
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }

    /// Runs a connection that needs a task: the requests of an HTTP connection, or the answer to a refused upgrade.
    /// A stream, or a connection over the limit, is run by its handlers and returns at once.
    func run(_ upgradeResult: UpgradeResult, logger: Logger) async {
        do {
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
                    headers[.date] = DateHeader.shared.value
                    headers[.server] = DateHeader.serverName
                    try await outbound.write(
                        contentsOf: [
                            .head(HTTPResponse(status: error.status, headerFields: headers)), .body(body), .end(nil),
                        ])
                }
            case .stream, .overLimit:
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

    /// What the first look at an upgrade request decides.
    enum FirstLook: Sendable {
        /// Decided on the event loop: refused, or accepted with the fixture the store keeps.
        case decided(Decision)
        /// Every check but the fixture passed, and the store keeps none: ``decide(_:logger:)`` reads it.
        case needsFixture(StreamRequest.Checked)
    }

    /// Every check that needs no read, on the event loop: the path, the `Accept` header, the query, and the
    /// fixture when the store keeps it in memory (the usual connect of a fan-out). A refusal is the plain HTTP
    /// answer.
    func firstLook(_ head: HTTPRequestHead, logger: Logger) -> FirstLook {
        do {
            let checked = try Self.parse(head)
            guard let request = try checked.withKeptFixture(from: store) else { return .needsFixture(checked) }
            return .decided(.accept(request))
        } catch {
            return .decided(.refuse(APIError.from(error, logger: logger)))
        }
    }

    /// The rest of the decision, in a task: the fixture read from the store.
    func decide(_ checked: StreamRequest.Checked, logger: Logger) async -> Decision {
        do {
            return .accept(try await checked.withFixture(from: store))
        } catch {
            return .refuse(APIError.from(error, logger: logger))
        }
    }

    /// The checks of an upgrade request that need no fixture: its path names a stream, its `Accept` header and
    /// query pass.
    private static func parse(_ head: HTTPRequestHead) throws -> StreamRequest.Checked {
        guard let (feed, sport, fixtureId, content) = match(head.uri) else {
            throw APIError(
                .badRequest,
                "Only the action and statistics streams (/{sport}/fixtures/{fixtureId}/actions or .../statistics, and the same under /media) accept a websocket upgrade."
            )
        }
        return try StreamRequest.Checked(head, fixtureId: fixtureId, content: content, feed: feed, sport: sport)
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
