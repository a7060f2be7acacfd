import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import MatchwireCore
import MatchwireServer
import MatchwireStore
import NIOCore
import Testing

/// 10,000 generated bad requests at a real server on a real socket (issue 13, item 7): HTTP-level garbage alone on
/// connections of their own, well-formed requests that are wrong for the application several to a kept-alive
/// connection. Every request must be answered below 500 or (garbage only) have its connection closed within 15
/// seconds; every error answer must be `{"errorMessage": ...}` in the service's own words; valid reads in the
/// middle of the storm must keep giving the same bytes; and afterwards the store must hold exactly what was
/// ingested before, and the server must still read and ingest.
///
/// The storm is made from a seed (`HostilePlan`, printed in the summary and in every failure): set
/// `MATCHWIRE_HOSTILE_SEED` to run another one, `MATCHWIRE_HOSTILE_INDEX` to send one request of it alone, and
/// `MATCHWIRE_HOSTILE_COUNT` to send more or fewer.
@Suite struct HostileInputTests {
    @Test func tenThousandHostileRequestsGetNo5xxAndLeaveTheServerServingAndTheStoreIntact() async throws {
        let plan = HostilePlan.fromEnvironment(defaultCount: 10_000)
        // Short timeouts, so that the few requests that stop half way are closed in seconds.
        let configure = { (configuration: inout ServerConfiguration) in
            configuration.headerTimeout = 2
            configuration.bodyTimeout = 2
            configuration.idleTimeout = 4
            configuration.authTimeout = 1
        }
        try await TestServer.start(rateLimit: 1_000_000, rateBurst: 1_000_000, configure: configure) {
            server, client in
            let port = try #require(client.port)
            let live = server.fixture.id

            // A scheduled fixture of each other sport, so that every sport's routes reach a real fixture.
            var fixtures: [Sport: UUID] = [.tableTennis: live]
            for sport in Sport.allCases where sport != .tableTennis {
                let fixture = Fixture(
                    id: UUID(), sport: sport, startDate: try #require(Timestamp(localDateTime: "2025-06-01T18:00:00")),
                    teams: [
                        TeamRef(id: UUID(), name: "Home \(sport.rawValue)", homeTeam: true),
                        TeamRef(id: UUID(), name: "Away \(sport.rawValue)", homeTeam: false),
                    ],
                    rules: try sport.rules(nil).rulesObject)
                try await server.store.insertFixture(fixture)
                fixtures[sport] = fixture.id
            }

            // What the store must still hold after the storm.
            // (On connections of its own: the test client's, opened at the start, may have met the 2 s timeout.)
            let setUp = try await Self.execute(
                port, uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array([
                    server.action(4), server.action(6), server.action(1102, home: true), server.action(1104),
                    server.action(1102, home: false),
                ]).buffer)
            try #require(setUp.status == 201, "\(setUp.json)")
            let lastSeqNum = try await server.store.lastSeqNum(fixtureId: live)
            #expect(lastSeqNum == 5)
            let fixturePath = "/v2/tabletennis/fixtures/\(live.wire)"
            let listBefore = try await Self.execute(
                port,
                uri: server.actionsPath, method: .get, headers: server.consumerHeaders())
            try #require(listBefore.status == 200)
            let fixtureBefore = try await Self.execute(
                port,
                uri: fixturePath, method: .get, headers: server.consumerHeaders())
            try #require(fixtureBefore.status == 200)
            let targets = HostileTargets(
                port: port, admin: server.admin, scout: server.scout, consumer: server.consumer, fixtures: fixtures,
                maxBodyBytes: server.configuration.maxBodyBytes,
                actionsList: listBefore.body,
                fixtureObject: fixtureBefore.body)

            let storm = HostileStorm(
                generator: HostileRequestGenerator(targets: targets, seed: plan.seed), plan: plan,
                bound: .seconds(15), budget: .seconds(300))
            let report = await storm.run(connections: 8)
            print(report.summary)
            for failure in report.failures { Issue.record(Comment(rawValue: failure)) }
            let failed =
                "seed \(plan.seedText): \(report.failureCount) of \(report.sent) requests failed, "
                + "in \(report.failures.count) ways (each recorded above)"
            #expect(report.failureCount == 0, Comment(rawValue: failed))
            #expect(report.sent == plan.indexes.count, "the storm stopped early")

            // The store holds exactly what was ingested before the storm.
            #expect(try await server.store.lastSeqNum(fixtureId: live) == lastSeqNum)
            let listAfter = try await Self.execute(
                port,
                uri: server.actionsPath, method: .get, headers: server.consumerHeaders())
            #expect(listAfter.status == 200)
            #expect(listAfter.body == targets.actionsList, "the actions list is unchanged")
            let fixtureAfter = try await Self.execute(
                port,
                uri: fixturePath, method: .get, headers: server.consumerHeaders())
            #expect(fixtureAfter.body == targets.fixtureObject, "the fixture is unchanged")
            for sport in Sport.allCases where sport != .tableTennis {
                let fixture = try await server.store.fixture(id: try #require(fixtures[sport]))
                #expect(fixture?.fixtureDeleted == false)
                #expect(fixture?.lastSeqNum == 0)
            }

            // Still serving: a request on a new connection, a read of every sport, and a valid ingest.
            let fresh = try #require(HostileSocket.dial(port: port), "the server accepts connections")
            let request =
                "GET /soccer/fixtures HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
                + "Authorization: Bearer \(server.consumer)\r\n\r\n"
            let result = fresh.exchange(Array(request.utf8), method: "GET", until: .now + .seconds(15))
            guard case .answered(let answer) = result.outcome else {
                Issue.record("a valid request on a new connection was not answered: \(result.outcome)")
                return
            }
            #expect(answer.status == 200)
            for sport in Sport.allCases {
                let list = try await Self.execute(
                    port,
                    uri: "/\(sport.pathSegment)/fixtures", method: .get, headers: server.consumerHeaders())
                #expect(list.status == 200, "\(sport) fixtures")
            }
            let ingested = try await Self.execute(
                port,
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: server.action(1104).buffer)
            #expect(ingested.status == 201, "\(ingested.json)")
            #expect(ingested.json["fixtureAction"]?["fixtureSeqNum"]?.intValue == lastSeqNum + 1)
            let listNow = try await Self.execute(
                port,
                uri: server.actionsPath, method: .get, headers: server.consumerHeaders())
            let before = try JSONValue.parse(targets.actionsList).arrayValue ?? []
            #expect(listNow.json == .array(before + [ingested.json]), "the actions list grew by the new packet alone")
        }
    }

    /// After the storm the test client's kept-alive connection has been closed by the idle timeout, as any would
    /// be: these checks open connections of their own.
    struct Answer {
        let status: Int
        let body: [UInt8]
        var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    }

    static func execute(
        _ port: Int, uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(uri)")
        request.method = .init(rawValue: method.rawValue)
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        if let body { request.body = .bytes(body) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 1 << 24)
        return Answer(status: Int(response.status.code), body: Array(bytes.readableBytesView))
    }
}
