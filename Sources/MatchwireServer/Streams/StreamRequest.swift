import Foundation
import Hummingbird
import HummingbirdCore
import NIOHTTP1
import MatchwireCore
import MatchwireStore

/// A stream request that passed the checks made before the upgrade (protocol.md §3): the `Accept` header, the
/// query parameters and the fixture. Failing any of them is a plain HTTP answer (400, 406 or 404).
@dynamicMemberLookup
struct StreamRequest: Sendable {
    /// How a fixture that is not live is replayed.
    enum Speed: String, Sendable {
        /// Keeps the original gaps between the packets' timestamps.
        case normal
        /// As fast as the client reads.
        case fast
    }

    /// What the checks before the fixture found (feed, sport, fixture id, content, start position, speed), read
    /// as the request's own properties.
    let checked: Checked
    /// The fixture as the check read it, just before the upgrade: its status decides between following the
    /// stream live and replaying it (``StreamDelivery``).
    let fixture: Fixture

    subscript<Value>(dynamicMember keyPath: KeyPath<Checked, Value>) -> Value { checked[keyPath: keyPath] }

    var topic: StreamTopic { StreamTopic(fixtureId: checked.fixtureId, content: checked.content) }

    /// The largest `startPosition` accepted; far above any fixture's packet count.
    static let maximumStartPosition = 10_000_000

    /// A stream request whose checks that need no fixture passed: the `Accept` header, the query, the fixture id's
    /// form.
    struct Checked: Sendable {
        let feed: Feed
        let sport: Sport
        let fixtureId: UUID
        /// Action packets or statistics packets.
        let content: StreamContent
        /// Packets to skip: the stream starts at number `startPosition + 1` (`fixtureSeqNum` of the actions,
        /// statistics `seqNum` of the statistics).
        let startPosition: Int
        let speed: Speed

        init(_ head: HTTPRequestHead, fixtureId text: String?, content: StreamContent, feed: Feed, sport: Sport) throws
        {
            (startPosition, speed) = try checkHeaderAndQuery(head)
            fixtureId = try UUID(fixturePath: text)
            (self.feed, self.sport, self.content) = (feed, sport, content)
        }

        /// The request with its fixture as the store keeps it in memory (``EventStore/keptFixture(id:)``): decided
        /// on the event loop, without a read. Nil when the store keeps none for this id.
        func withKeptFixture(from store: any EventStore) throws -> StreamRequest? {
            try store.keptFixture(id: fixtureId).map(with)
        }

        /// The request with its fixture read from the store.
        func withFixture(from store: any EventStore) async throws -> StreamRequest {
            try with(await store.requireFixture(id: fixtureId, sport: sport))
        }

        /// 404 unless the fixture is of the path's sport.
        private func with(_ fixture: Fixture) throws -> StreamRequest {
            guard fixture.sport == sport else { throw APIError.unknownFixture(fixtureId.wire, in: sport) }
            return StreamRequest(checked: self, fixture: fixture)
        }
    }

    /// The `Accept` header and the query parameters: `startPosition` and `speed`. Read from SwiftNIO's request head
    /// as it is: making the request that the routes see (`HTTPFields`, the URI's parameters) was a twentieth of a
    /// connect's CPU, for a query that is usually empty.
    private static func checkHeaderAndQuery(_ head: HTTPRequestHead) throws -> (startPosition: Int, speed: Speed) {
        // A browser cannot set headers on a websocket (Chromium sends no Accept at all), so an upgrade from a
        // browser page, which always carries Origin, is taken as accepting anything (docs/streams.md). Any other
        // client must send Accept as the feed's documentation says. No ambient credential is read on a stream
        // (the token is the first frame), so a page of another origin gains nothing it could not do itself.
        let accept = head.headers["accept"]
        if !(accept.isEmpty && head.headers.contains(name: "origin")) {
            // Several Accept lines are one list, as the routes read them.
            try requireAcceptable(
                accept: accept.isEmpty ? nil : accept.count == 1 ? accept[0] : accept.joined(separator: ", "))
        }
        guard head.uri.utf8.contains(UInt8(ascii: "?")) else { return (0, .normal) }
        let parameters = URI(head.uri).queryParameters
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
