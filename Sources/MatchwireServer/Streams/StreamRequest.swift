import Foundation
import Hummingbird
import MatchwireCore
import MatchwireStore

/// A stream request that passed the checks made before the upgrade (protocol.md §3): the `Accept` header, the
/// query parameters and the fixture. Failing any of them is a plain HTTP answer (400, 406 or 404).
struct StreamRequest: Sendable {
    /// How a fixture that is not live is replayed.
    enum Speed: String, Sendable {
        /// Keeps the original gaps between the packets' timestamps.
        case normal
        /// As fast as the client reads.
        case fast
    }

    let feed: Feed
    let sport: Sport
    let fixtureId: UUID
    /// Action packets or statistics packets.
    let content: StreamContent
    /// Packets to skip: the stream starts at number `startPosition + 1` (`fixtureSeqNum` of the actions,
    /// statistics `seqNum` of the statistics).
    let startPosition: Int
    let speed: Speed
    /// The fixture as the check read it, just before the upgrade: its status decides between following the
    /// stream live and replaying it (``StreamDelivery``).
    let fixture: Fixture

    var topic: StreamTopic { StreamTopic(fixtureId: fixtureId, content: content) }

    /// The largest `startPosition` accepted; far above any fixture's packet count.
    static let maximumStartPosition = 10_000_000

    static func check(
        _ request: Request, fixtureId text: String?, content: StreamContent, feed: Feed, sport: Sport,
        store: any EventStore
    ) async throws -> StreamRequest {
        let (startPosition, speed) = try checkHeaderAndQuery(request)
        let fixture = try await store.requireFixture(text, sport: sport)
        return StreamRequest(
            feed: feed, sport: sport, fixtureId: fixture.id, content: content, startPosition: startPosition,
            speed: speed, fixture: fixture)
    }

    /// The same checks, answered at once from the fixture the store keeps in memory (``EventStore/keptFixture(id:)``);
    /// nil when it keeps none for this id, and the fixture must be read (``check(_:fixtureId:content:feed:sport:store:)``).
    static func checkAtOnce(
        _ request: Request, fixtureId text: String?, content: StreamContent, feed: Feed, sport: Sport,
        store: any EventStore
    ) throws -> StreamRequest? {
        let (startPosition, speed) = try checkHeaderAndQuery(request)
        let id = try UUID(fixturePath: text)
        guard let fixture = store.keptFixture(id: id) else { return nil }
        guard fixture.sport == sport else { throw APIError.unknownFixture(id.wire, in: sport) }
        return StreamRequest(
            feed: feed, sport: sport, fixtureId: fixture.id, content: content, startPosition: startPosition,
            speed: speed, fixture: fixture)
    }

    /// The `Accept` header and the query parameters: `startPosition` and `speed`.
    private static func checkHeaderAndQuery(_ request: Request) throws -> (startPosition: Int, speed: Speed) {
        // A browser cannot set headers on a websocket (Chromium sends no Accept at all), so an upgrade from a
        // browser page, which always carries Origin, is taken as accepting anything (docs/streams.md). Any other
        // client must send Accept as the feed's documentation says. No ambient credential is read on a stream
        // (the token is the first frame), so a page of another origin gains nothing it could not do itself.
        if !(request.headers[.accept] == nil && request.headers[.origin] != nil) {
            try requireAcceptable(request)
        }
        let parameters = request.uri.queryParameters
        let startPosition =
            try QueryParameter.integer(parameters, "startPosition", range: 0...maximumStartPosition) ?? 0
        var speed = Speed.normal
        if let text = try QueryParameter.single(parameters, "speed") {
            guard let value = Speed(rawValue: String(text)) else {
                throw APIError(.badRequest, "Query parameter 'speed' must be normal or fast.")
            }
            speed = value
        }
        return (startPosition, speed)
    }
}

extension EventStore {
    /// The fixture of a path, which must exist and be of `sport` (of any sport when nil): 404 otherwise.
    func requireFixture(_ text: String?, sport: Sport?) async throws -> Fixture {
        try await requireFixture(id: UUID(fixturePath: text), sport: sport)
    }

    /// The fixture with this id, which must exist and be of `sport` (of any sport when nil): 404 otherwise.
    func requireFixture(id: UUID, sport: Sport?) async throws -> Fixture {
        guard let fixture = try await fixture(id: id), sport == nil || fixture.sport == sport else {
            throw APIError.unknownFixture(id.wire, in: sport)
        }
        return fixture
    }
}

extension UUID {
    /// The fixture id of a request path: 404 when it is not a UUID.
    init(fixturePath text: String?) throws {
        let text = text ?? ""
        guard let id = UUID(uuidString: text) else { throw APIError.unknownFixture("'\(text)'", in: nil) }
        self = id
    }
}
