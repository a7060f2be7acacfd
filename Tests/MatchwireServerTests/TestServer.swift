import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MatchwireCore
@testable import MatchwireServer
import MatchwireStore
import NIOCore

/// A Matchwire server on a fresh SQLite store, listening on a free loopback port, with tokens of every role
/// and one table tennis fixture.
struct TestServer {
    let store: SQLiteEventStore
    let configuration: ServerConfiguration
    let admin: String
    let scout: String
    let consumer: String
    let fixture: Fixture
    let hub: StreamHub
    /// The server's fixture writers: a scout in the same process (as the demo's) ingests through them.
    let writers: FixtureWriters
    /// What `/ready` answers from.
    let readiness: Readiness

    static func start(
        rateLimit: Double = 1000, rateBurst: Int = 1000,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        serving: (SQLiteEventStore) -> any EventStore = { $0 },
        keptFixtureAge: Duration = KeptFixtures.defaultMaximumAge,
        _ body: @Sendable (TestServer, LiveClient) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("matchwire-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The server's metrics, made first: the store records its commits in them too.
        let metrics = ServerMetrics()
        let store = try await SQLiteEventStore.open(
            path: directory.appendingPathComponent("test.sqlite").path, metrics: metrics.store,
            keptFixtureAge: keptFixtureAge)
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.rateLimit = rateLimit
        configuration.rateBurst = rateBurst
        // The test client connects when the server starts and may first ask much later on a loaded machine: the
        // connection timeouts are tested on their own (HTTPConnectionGuardTests, HostileInputTests).
        configuration.headerTimeout = 600
        configuration.idleTimeout = 600
        configure(&configuration)
        let now = Timestamp(millisecondsSince1970: 1_747_729_800_000)
        var tokens: [String] = []
        for role in Role.allCases {
            let issued = AccessControl.issue(
                name: role.rawValue, role: role, feeds: Set(Feed.allCases), sports: Set(Sport.allCases), now: now)
            try await store.insertToken(issued.record)
            tokens.append(issued.token)
        }
        let fixture = tableTennisFixture()
        try await store.insertFixture(fixture)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let hub = StreamHub(logger: logger, metrics: metrics)
        // What the server reads and writes through: the store itself, or a wrapper a test puts around it.
        let served = serving(store)
        let writers = FixtureWriters(store: served, hub: hub)
        let readiness = Readiness()
        let server = TestServer(
            store: store, configuration: configuration, admin: tokens[2], scout: tokens[1], consumer: tokens[0],
            fixture: fixture, hub: hub, writers: writers, readiness: readiness)
        let port = PortPromise()
        let app = MatchwireApp.build(
            configuration: configuration, store: served, hub: hub, writers: writers, readiness: readiness,
            logger: logger, onRunning: { port.succeed($0) })
        do {
            try await LiveClient.run(app, port: port) { client in try await body(server, client) }
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    /// A scheduled best-of-3 table tennis fixture.
    static func tableTennisFixture() -> Fixture {
        Fixture(
            id: UUID(), sport: .tableTennis, startDate: Timestamp(localDateTime: "2025-05-20T08:30:00")!,
            teams: [
                TeamRef(id: UUID(), name: "PARK Gahyeon", homeTeam: true),
                TeamRef(id: UUID(), name: "BATRA Manika", homeTeam: false),
            ],
            rules: TableTennisRules(bestOf: 3).rulesObject)
    }

    var actionsPath: String { "/v2/tabletennis/fixtures/\(fixture.id.wire)/actions" }
    var ingestPath: String { "/ingest/v2/tabletennis/fixtures/\(fixture.id.wire)/actions" }

    /// Headers of a well-formed consumer request.
    func consumerHeaders(_ token: String? = nil) -> HTTPFields {
        [.accept: "application/vnd.imggaming.dde.api+json;version=1", .authorization: "Bearer \(token ?? consumer)"]
    }

    func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    /// An action in the ingest format.
    func action(
        _ type: Int, home: Bool? = nil, id: UUID = UUID(), sendType: SendType = .confirmed
    ) -> JSONValue {
        var object: [String: JSONValue] = [
            "actionId": .string(id.wire), "fixtureActionTypeId": .number(type),
            "sendTypeId": .number(sendType.rawValue),
        ]
        if let home { object["team"] = .object(["id": .string((home ? fixture.home : fixture.away).id.wire)]) }
        return .object(object)
    }

    /// Actions of a whole best-of-3 match won 2-0 by the home side, ending with Post Match Check Complete.
    func wholeMatch() -> [JSONValue] {
        var actions = [action(2), action(4), action(6)]
        for game in 1...2 {
            actions += (1...11).map { _ in action(1102, home: true) }
            actions.append(action(7))
            if game == 1 { actions.append(action(6)) }
        }
        actions += [action(5), action(21)]
        return actions
    }

    /// Actions of a best-of-3 match whose first game goes to deuce and stays there for `rallies` alternating
    /// points before the home side wins it and the match: as many packets as a test needs, all accepted.
    func longMatch(rallies: Int) -> [JSONValue] {
        var actions = [action(2), action(4), action(6)]
        for point in 0..<20 { actions.append(action(1102, home: point % 2 == 0)) }
        for point in 0..<(rallies / 2 * 2) { actions.append(action(1102, home: point % 2 == 0)) }
        actions += [action(1102, home: true), action(1102, home: true), action(7), action(6)]
        actions += (1...11).map { _ in action(1102, home: true) }
        actions += [action(7), action(5), action(21)]
        return actions
    }

    /// Posts actions as one array; they must be stored (201).
    func ingest(_ actions: [JSONValue], with client: LiveClient) async throws {
        let response = try await client.execute(
            uri: ingestPath, method: .post, headers: bearer(scout), body: JSONValue.array(actions).buffer)
        guard response.status == .created else {
            throw IngestFailed(status: response.status.code, message: response.errorMessage)
        }
    }

    struct IngestFailed: Error {
        let status: Int
        let message: String
    }

    /// The stream path of the fixture: betting, or media; of its actions, or of its statistics.
    func streamPath(media: Bool = false, query: String = "", content: StreamContent = .actions) -> String {
        (media ? "/media" : "") + "/v2/tabletennis/fixtures/\(fixture.id.wire)/\(content.pathSegment)"
            + (query.isEmpty ? "" : "?\(query)")
    }

    /// Every stored packet of one of the fixture's topics, in order, as JSON.
    func stored(_ content: StreamContent) async throws -> [JSONValue] {
        switch content {
        case .actions:
            return try await store.packetBytes(fixtureId: fixture.id, order: .seqNum).map { try JSONValue.parse($0) }
        case .statistics:
            return try await store.statistics(fixtureId: fixture.id, after: 0, limit: 100_000).map {
                try JSONValue.parse($0.bytes)
            }
        }
    }
}

extension JSONValue {
    var buffer: ByteBuffer {
        var writer = JSONWriter()
        writer.value(self)
        return ByteBuffer(bytes: writer.bytes)
    }
}

extension LiveClient.Response {
    var json: JSONValue { (try? JSONValue.parse(body.readableBytesView)) ?? .null }
    var errorMessage: String { json["errorMessage"]?.stringValue ?? "" }
}
