import AsyncHTTPClient
import Foundation
import MatchwireCore
@testable import MatchwireServer
import NIOCore
import NIOWebSocket
import PostgresTestCluster
import Synchronization
import Testing

/// Several `matchwire serve` processes (nodes) on one PostgreSQL database, as an operator runs them behind a load
/// balancer: a scout may post to any node, a customer may follow a fixture on any node, and every guarantee of one
/// node holds across them (issue 14). Real processes, real sockets, a real PostgreSQL server.
///
/// Where PostgreSQL is not installed these tests are left out, and the run says so on stderr.
@Suite(.serialized, .enabled(if: PostgresTestCluster.isInstalled)) struct MultiNodeTests {
    /// Three nodes; betting and media subscribers on each; two scouts posting at once through two nodes into one
    /// fixture, and a third into another fixture through two nodes. Every subscriber ends with every number once,
    /// in order; every acknowledged action is stored once; each packet's summary follows from the ones before it.
    @Test func threeNodesDeliverEveryPacketOfConcurrentIngestsExactlyOnceEverywhere() async throws {
        let cluster = try #require(try await PostgresTestCluster.shared())
        let database = try await cluster.newDatabase()
        let feed = try await blocking { try SharedFeed.prepare(database: database, fixtures: 2) }
        let nodes = try await feed.startNodes(3)
        defer { for node in nodes { node.kill9() } }
        let (main, other) = (feed.fixtures[0], feed.fixtures[1])
        for fixture in [main, other] {
            try await feed.startMatch(fixture, via: nodes[0])
        }

        let total = IngestTotal()
        let otherTotal = IngestTotal()
        let statisticsTotal = IngestTotal()
        var followers: [Task<FollowResult, any Error>] = []
        for (index, node) in nodes.enumerated() {
            for media in [false, true] {
                followers.append(
                    Task { try await feed.follow(main, media: media, from: [node.port], until: { total.value }) })
            }
            // The statistics of the same fixture, through the same hubs and the same cross-node reads.
            followers.append(
                Task {
                    try await feed.follow(
                        main, media: index == 2, content: .statistics, from: [node.port],
                        until: { statisticsTotal.value })
                })
            followers.append(
                Task {
                    try await feed.follow(
                        other, media: index == 1, from: [node.port], until: { otherTotal.value })
                })
        }

        // Two scouts into one fixture through nodes 0 and 1, a third into the other through nodes 1 and 2, at once.
        // Paced a little, so that these processes leave the other tests running beside them some of the 2 cores.
        let pace = Duration.milliseconds(20)
        let scouts = [
            Task { try await feed.scout(main, via: [nodes[0]], requests: 40, seed: 1, pause: pace) },
            Task { try await feed.scout(main, via: [nodes[1]], requests: 40, seed: 2, pause: pace) },
            Task { try await feed.scout(other, via: [nodes[1], nodes[2]], requests: 30, seed: 3, pause: pace) },
        ]
        var acknowledged: [UUID: [String]] = [main: [], other: []]
        for (index, scout) in scouts.enumerated() {
            let sent = try await scout.value
            #expect(sent.refused.isEmpty, "an action refused for a rule it did not break: \(sent.refused.prefix(3))")
            acknowledged[index < 2 ? main : other, default: []] += sent.acknowledged
        }

        var possessions = 0
        for (fixture, box) in [(main, total), (other, otherTotal)] {
            let list = try await feed.actionsList(fixture, via: nodes[2])
            let numbers = list.compactMap { $0["fixtureAction"]?["fixtureSeqNum"]?.intValue }
            #expect(numbers == Array(1...numbers.count), "the stored numbers never repeat or skip")
            let ids = list.compactMap { $0["fixtureAction"]?["actionId"]?.stringValue }
            for id in acknowledged[fixture] ?? [] {
                #expect(ids.filter { $0 == id }.count == 1, "acknowledged action \(id) is stored once")
            }
            // Each packet's summary follows from the packets before it and itself: the possession (the feed spells
            // it isHomeTeamInPossesion) is its team's,
            // whichever node made it.
            let home = try await feed.teamIds(fixture, via: nodes[2])[0]
            for packet in list where packet["fixtureAction"]?["fixtureActionTypeId"]?.intValue == 15 {
                let team = try #require(packet["fixtureAction"]?["team"]?["id"]?.stringValue)
                #expect(
                    packet["fixtureSummary"]?["isHomeTeamInPossesion"] == .bool(team == home),
                    "the summary of packet \(packet["fixtureAction"]?["fixtureSeqNum"] ?? .null)")
            }
            box.value = numbers.count
            if fixture == main {
                possessions = list.filter { $0["fixtureAction"]?["fixtureActionTypeId"]?.intValue == 15 }.count
            }
        }
        // Every Possession Gained has a team and counts: one statistics packet each (the lifecycle actions none).
        let statisticsCount = try await feed.latestStatistics(main, via: nodes[2])["seqNum"]?.intValue ?? 0
        #expect(statisticsCount == possessions && possessions > 100)
        statisticsTotal.value = statisticsCount
        for follower in followers {
            let result = try await follower.value
            let last =
                result.content == .statistics
                ? statisticsCount : result.fixture == main ? total.value ?? 0 : otherTotal.value ?? 0
            let expected = Array(1...last)
            #expect(result.faults.isEmpty, "\(result.faults.prefix(3))")
            #expect(result.received == expected, "every number exactly once, in order, on every node")
        }
    }

    /// A node is killed (SIGKILL) while scouts post through it and customers follow through it: its customers
    /// resume on another node with `startPosition` and miss nothing; every action it acknowledged is stored.
    @Test func aNodeKilledMidStreamLosesNoAcknowledgedActionAndItsClientsResumeElsewhere() async throws {
        let cluster = try #require(try await PostgresTestCluster.shared())
        let database = try await cluster.newDatabase()
        let feed = try await blocking { try SharedFeed.prepare(database: database, fixtures: 1) }
        let nodes = try await feed.startNodes(2)
        let (survivor, doomed) = (nodes[0], nodes[1])
        defer { for node in nodes { node.kill9() } }
        let fixture = feed.fixtures[0]
        try await feed.startMatch(fixture, via: survivor)

        let total = IngestTotal()
        let followers = [false, true].map { media in
            Task {
                try await feed.follow(
                    fixture, media: media, from: [doomed.port, survivor.port], until: { total.value })
            }
        }
        let scout = Task {
            try await feed.scout(fixture, via: [doomed, survivor], requests: 60, seed: 4, pause: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(800))
        doomed.kill9()
        let sent = try await scout.value
        #expect(sent.refused.isEmpty, "\(sent.refused.prefix(3))")

        let list = try await feed.actionsList(fixture, via: survivor)
        let ids = Set(list.compactMap { $0["fixtureAction"]?["actionId"]?.stringValue })
        for id in sent.acknowledged { #expect(ids.contains(id), "acknowledged action \(id) survived the node") }
        total.value = list.count
        for follower in followers {
            let result = try await follower.value
            #expect(result.faults.isEmpty, "\(result.faults.prefix(3))")
            #expect(result.received == Array(1...list.count), "resumed on the other node without a gap or a repeat")
            #expect(result.connections >= 2, "the follower had to resume elsewhere")
        }
    }

    /// The server terminates every node's listening connection, again and again, while packets flow: the nodes
    /// listen again, read what they missed, and their subscribers get every number once.
    @Test func listeningConnectionsTerminatedByTheServerMidStreamLoseNothing() async throws {
        let cluster = try #require(try await PostgresTestCluster.shared())
        let url = try await cluster.newDatabase()
        let database = PostgresTestCluster.databaseName(in: url)
        // A long poll interval: what the subscribers get comes from the listener, not from the timer.
        let feed = try await blocking { try SharedFeed.prepare(database: url, fixtures: 1) }
        let nodes = try await feed.startNodes(2, arguments: ["--poll-interval", "30"])
        defer { for node in nodes { node.kill9() } }
        let fixture = feed.fixtures[0]
        try await feed.startMatch(fixture, via: nodes[0])

        let total = IngestTotal()
        let follower = Task {
            try await feed.follow(fixture, media: false, from: [nodes[1].port], until: { total.value })
        }
        let scout = Task {
            try await feed.scout(fixture, via: [nodes[0]], requests: 40, seed: 5, pause: .milliseconds(30))
        }
        var terminated = 0
        for _ in 0..<4 {
            try await Task.sleep(for: .milliseconds(250))
            let killed = try await cluster.query(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE application_name = 'matchwire-listener' AND datname = '\(database)'
                """, database: database)
            terminated += Int(killed.split(separator: "\n").first.map(String.init) ?? "0") ?? 0
        }
        #expect(terminated >= 2, "the listeners were terminated (\(terminated))")
        let sent = try await scout.value
        #expect(sent.refused.isEmpty)
        total.value = try await feed.actionsList(fixture, via: nodes[0]).count
        let result = try await follower.value
        #expect(result.faults.isEmpty, "\(result.faults.prefix(3))")
        #expect(result.received == Array(1...(total.value ?? 0)))
        try await nodes[1].waitUntilReady()
        // What an operator sees of it: the listener is up again after reconnecting, and it woke the node.
        let metrics = try await nodes[1].metrics()
        #expect(metrics.value("matchwire_postgres_listener_up") == 1, "\(metrics.text)")
        #expect((metrics.value("matchwire_postgres_listener_reconnects_total") ?? 0) >= 1)
        #expect((metrics.value("matchwire_crossnode_wakeups_total", ["cause": "notify"]) ?? 0) >= 1)
        let writer = try await nodes[0].metrics()
        #expect((writer.value("matchwire_store_commit_duration_seconds_count") ?? 0) >= 40, "a commit per request")
    }

    /// PostgreSQL stops under load and starts again: while it is down ingest answers 503 with Retry-After (never a
    /// 2xx for an action not committed, never a hang), streams stay open; once it is back the nodes recover by
    /// themselves, no acknowledged action is lost and delivery resumes.
    @Test func theDatabaseStoppedAndStartedUnderLoadLosesNoAcknowledgedAction() async throws {
        let cluster = try #require(try await PostgresTestCluster.makePrivate())
        defer { cluster.remove() }
        let database = try await cluster.newDatabase()
        let feed = try await blocking { try SharedFeed.prepare(database: database, fixtures: 1) }
        let nodes = try await feed.startNodes(2, arguments: ["--store-timeout", "2"])
        defer { for node in nodes { node.kill9() } }
        let fixture = feed.fixtures[0]
        try await feed.startMatch(fixture, via: nodes[0])

        let total = IngestTotal()
        let follower = Task {
            try await feed.follow(fixture, media: false, from: [nodes[1].port], until: { total.value })
        }
        let outage = Outage()
        let scout = Task {
            try await feed.scout(
                fixture, via: [nodes[0]], requests: 70, seed: 6, pause: .milliseconds(50), outage: outage)
        }
        try await Task.sleep(for: .milliseconds(700))
        try await blocking { try cluster.stop() }
        outage.set(true)
        try await Task.sleep(for: .seconds(3))
        try await blocking { try cluster.start() }
        outage.set(false)
        let sent = try await scout.value
        #expect(sent.unavailable > 0, "ingest answered 503 while the database was down")
        #expect(sent.refused.isEmpty, "\(sent.refused.prefix(3))")
        #expect(sent.acknowledgedDuringOutage == 0, "no 2xx while the database was down")

        let list = try await feed.actionsList(fixture, via: nodes[1])
        let ids = Set(list.compactMap { $0["fixtureAction"]?["actionId"]?.stringValue })
        for id in sent.acknowledged { #expect(ids.contains(id), "acknowledged action \(id) survived the outage") }
        total.value = list.count
        let result = try await follower.value
        #expect(result.faults.isEmpty, "\(result.faults.prefix(3))")
        #expect(result.received == Array(1...list.count), "the stream stayed open or resumed, and caught up")
        for node in nodes { try await node.waitUntilReady() }
    }
}

extension MultiNodeTests {
    /// A token revoked with the command line (on the shared database) is refused at once by every node for
    /// REST, and its open streams, on any node, end with an ERROR message and 1008 within the revocation check
    /// interval (2 s). A scout's retry sent to another node than the first is answered 200 with the stored packet.
    @Test func aTokenRevokedOnceIsRefusedByEveryNodeAndItsStreamsEnd() async throws {
        let cluster = try #require(try await PostgresTestCluster.shared())
        let database = try await cluster.newDatabase()
        let feed = try await blocking { try SharedFeed.prepare(database: database, fixtures: 1) }
        let nodes = try await feed.startNodes(2)
        defer { for node in nodes { node.kill9() } }
        let fixture = feed.fixtures[0]
        try await feed.startMatch(fixture, via: nodes[0])

        let home = try await feed.teamIds(fixture, via: nodes[0])[0]
        let action = feed.action(15, team: home)
        let first = try await feed.post([action], to: fixture, via: nodes[0])
        let retry = try await feed.post([action], to: fixture, via: nodes[1])
        #expect(first.status == 201)
        #expect(retry.status == 200, "the other node recognises the retry")
        #expect(retry.body == first.body, "and answers with the stored packet, byte for byte")

        let transcript = StreamTranscript()
        let stream = Task {
            try await StreamClient.run(
                port: nodes[1].port, path: "/v2/tabletennis/fixtures/\(fixture.wire)/actions",
                firstFrame: StreamClient.auth(feed.consumer), into: transcript)
        }
        try await waitUntil { transcript.seqNums.count == 3 }
        _ = try await blocking {
            try ServerProcess.run(
                ["token", "revoke", "customer", "--postgres", feed.database, "--store-timeout", "60"])
        }
        for node in nodes {
            await #expect(throws: RuleViolation.self, "node \(node.port) refuses the revoked token") {
                _ = try await feed.actionsList(fixture, via: node)
            }
        }
        try await waitUntil(timeout: .seconds(10)) { transcript.closeCode != nil }
        #expect(transcript.closeCode == .policyViolation)
        #expect(transcript.controls.last?.control.hasPrefix("ERROR") == true)
        _ = try await stream.value
    }

    /// A topic that had subscribers on a node, then none, keeps its hub's last number there, while another node
    /// stores more: the node does not read a topic nobody follows there. A client that connects again, current up
    /// to that old number, gets what was stored meanwhile at once, not at the next poll (here 600 s away, and no
    /// append after it connects to wake the node): with several nodes a stream reads the store to its end.
    @Test func aStreamOnATopicIdleOnItsNodeGetsWhatOtherNodesStoredMeanwhile() async throws {
        let cluster = try #require(try await PostgresTestCluster.shared())
        let database = try await cluster.newDatabase()
        let feed = try await blocking { try SharedFeed.prepare(database: database, fixtures: 1) }
        let nodes = try await feed.startNodes(2, arguments: ["--poll-interval", "600"])
        defer { for node in nodes { node.kill9() } }
        let fixture = feed.fixtures[0]
        let path = "/v2/tabletennis/fixtures/\(fixture.wire)/actions"
        let home = try await feed.teamIds(fixture, via: nodes[0])[0]
        let wakeUps = { try await nodes[1].metrics().value(Self.notifyWakeUps, ["cause": "notify"]) ?? 0 }
        try await feed.startMatch(fixture, via: nodes[0])

        // A stream on node 1 has packets 1 and 2; then node 0 stores packet 3, which node 1's cross-node delivery
        // reads for that subscriber: node 1's hub of the topic has published up to 3 at least. The stream closes.
        let first = StreamTranscript()
        let firstStream = Task {
            try await StreamClient.run(
                port: nodes[1].port, path: path, firstFrame: StreamClient.auth(feed.consumer), into: first,
                stop: { ($0.lastSeqNum ?? 0) >= 3 })
        }
        try await waitUntil { (first.lastSeqNum ?? 0) >= 2 }
        var before = try await wakeUps()
        #expect(try await feed.post([feed.action(15, team: home)], to: fixture, via: nodes[0]).status == 201)
        try await waitUntil { try await wakeUps() > before }
        _ = try await firstStream.value
        #expect(first.seqNums == [1, 2, 3])
        try await waitUntil {
            try await nodes[1].metrics().samples.filter { $0.name == MetricsTests.open }.allSatisfy { $0.value == 0 }
        }

        // Node 0 stores packets 4 to 6; node 1 has the notification and finds nobody there to read them for.
        before = try await wakeUps()
        let stored = try await feed.post((0..<3).map { _ in feed.action(15, team: home) }, to: fixture, via: nodes[0])
        #expect(stored.status == 201)
        try await waitUntil { try await wakeUps() > before }

        let again = StreamTranscript()
        let follower = Task {
            try await StreamClient.run(
                port: nodes[1].port, path: path + "?startPosition=3", firstFrame: StreamClient.auth(feed.consumer),
                into: again, stop: { ($0.lastSeqNum ?? 0) >= 6 })
        }
        defer { follower.cancel() }
        try await waitUntil(timeout: .seconds(30)) { (again.lastSeqNum ?? 0) >= 6 }
        #expect(again.seqNums == [4, 5, 6])
    }

    static let notifyWakeUps = "matchwire_crossnode_wakeups_total"

    /// A node's writer follows what another node did to its fixture. Actions stored through node 0 after node 1's
    /// writer was made: node 1 does not refuse an action for a rule only its old state breaks (Start Period before
    /// a Start Fixture it has not seen), it reads the store again and accepts it. A fixture deleted through node 0
    /// is deleted for node 1's writer: its next ingest finds the record changed, reads it again, and refuses.
    @Test func aWriterOnOneNodeFollowsWhatAnotherNodeDid() async throws {
        let cluster = try #require(try await PostgresTestCluster.shared())
        let database = try await cluster.newDatabase()
        let feed = try await blocking { try SharedFeed.prepare(database: database, fixtures: 1) }
        let nodes = try await feed.startNodes(2)
        defer { for node in nodes { node.kill9() } }
        let fixture = feed.fixtures[0]
        // Node 1's writer reads the fixture and keeps its engine.
        #expect(try await feed.post([feed.action(2)], to: fixture, via: nodes[1]).status == 201)
        #expect(try await feed.post([feed.action(4)], to: fixture, via: nodes[0]).status == 201)
        let period = try await feed.post([feed.action(6)], to: fixture, via: nodes[1])
        #expect(period.status == 201, "Start Period after the Start Fixture stored through node 0: \(period.body)")

        var delete = HTTPClientRequest(url: "http://127.0.0.1:\(nodes[0].port)/admin/fixtures/\(fixture.wire)")
        delete.method = .DELETE
        delete.headers.add(name: "Authorization", value: "Bearer \(feed.admin)")
        let deleted = try await HTTPClient.shared.execute(delete, timeout: .seconds(20))
        #expect(deleted.status == .ok)

        let refused = try await feed.post([feed.action(7)], to: fixture, via: nodes[1])
        #expect(refused.status == 422, "\(refused.body)")
        #expect(refused.body.contains("is deleted"), "\(refused.body)")
    }

    /// `serve --postgres` names its store without the password, and `--demo` works on PostgreSQL: a token is
    /// printed, and live and completed fixtures of every sport are served.
    @Test func serveOnPostgresNamesTheStoreWithoutItsPasswordAndRunsTheDemo() async throws {
        let cluster = try #require(try await PostgresTestCluster.shared())
        let database = PostgresTestCluster.databaseName(in: try await cluster.newDatabase())
        // Trust authentication takes any password: this one must not be printed.
        let url = "postgres://postgres:hunter2@127.0.0.1:\(cluster.port)/\(database)?sslmode=disable"
        let node = try await blocking {
            try NodeProcess.start(arguments: ["--postgres", url, "--demo", "--demo-speed", "200"])
        }
        defer { node.kill9() }
        var log = ""
        try await waitUntil(timeout: .seconds(30), every: .milliseconds(100)) {
            log = (try? String(contentsOfFile: node.log, encoding: .utf8)) ?? ""
            return log.contains("export TOKEN=")
        }
        #expect(log.contains("store=postgres 127.0.0.1:\(cluster.port)/\(database)"))
        #expect(!log.contains("hunter2"), "the password is never printed")
        let line = try #require(log.split(separator: "\n").first { $0.contains("export TOKEN=") })
        let token = String(line.split(separator: "=").last ?? "")
        for sport in Sport.allCases {
            var statuses: [String] = []
            try await waitUntil(timeout: .seconds(30), every: .milliseconds(200)) {
                statuses = try await DemoTests.fixtures(sport, port: node.port, token: token)
                    .compactMap { $0["status"]?.stringValue }
                return statuses.filter { $0 == "Completed" }.count >= 2 && statuses.contains("Live")
            }
            #expect(statuses.contains("Live"), "\(sport): \(statuses)")
        }
    }
}

/// Whether the database is down, as the test sees it.
final class Outage: Sendable {
    private let down = Atomic<Bool>(false)
    var isDown: Bool { down.load(ordering: .relaxed) }
    func set(_ value: Bool) { down.store(value, ordering: .relaxed) }
}

/// What a follower received across its connections.
struct FollowResult: Sendable {
    var fixture: UUID
    var content = StreamContent.actions
    var received: [Int] = []
    var faults: [String] = []
    var connections = 0
}

/// What a scout sent: the actions acknowledged (201 or 200), the ones refused with 4xx, the 503s.
struct ScoutResult: Sendable {
    var acknowledged: [String] = []
    var refused: [String] = []
    var unavailable = 0
    var acknowledgedDuringOutage = 0
}

/// One database with tokens and table tennis fixtures, made with the command line, and the nodes serving it.
struct SharedFeed: Sendable {
    let database: String
    let scout: String
    let consumer: String
    let admin: String
    let fixtures: [UUID]

    static func prepare(database: String, fixtures count: Int) throws -> SharedFeed {
        // The first command migrates the new database: on a CI machine busy with the other suites that has taken
        // more than the default 5 seconds, so these one-shot commands wait longer (the nodes keep the default).
        let store = ["--postgres", database, "--store-timeout", "60"]
        let scout = try ServerProcess.run(["token", "create", "--name", "scout", "--role", "scout"] + store)
        let consumer = try ServerProcess.run(["token", "create", "--name", "customer", "--role", "consumer"] + store)
        let admin = try ServerProcess.run(["token", "create", "--name", "operator", "--role", "admin"] + store)
        var fixtures: [UUID] = []
        for index in 0..<count {
            let id = try ServerProcess.run(
                ["fixture", "create", "--sport", "tabletennis", "--home", "HOME \(index)", "--away", "AWAY \(index)"]
                    + store)
            fixtures.append(try #require(UUID(uuidString: id)))
        }
        return SharedFeed(database: database, scout: scout, consumer: consumer, admin: admin, fixtures: fixtures)
    }

    /// Starts `count` nodes and waits until each is ready; none is left running when one fails.
    func startNodes(_ count: Int, arguments: [String] = []) async throws -> [NodeProcess] {
        let nodes = try await blocking { try (0..<count).map { _ in try startNode(arguments: arguments) } }
        do {
            for node in nodes { try await node.waitUntilReady() }
        } catch {
            for node in nodes { node.kill9() }
            throw error
        }
        return nodes
    }

    /// Start Fixture and Start Period, through a node.
    func startMatch(_ fixture: UUID, via node: NodeProcess) async throws {
        let answer = try await post([action(4), action(6)], to: fixture, via: node)
        guard answer.status == 201 else { throw RuleViolation("the match did not start: \(answer.body)") }
    }

    func startNode(arguments: [String] = []) throws -> NodeProcess {
        try NodeProcess.start(
            arguments: ["--postgres", database, "--media-delay", "0.2", "--rate-limit", "1000", "--rate-burst", "1000"]
                + arguments)
    }

    /// An action in the ingest format; `home` names a team by side.
    func action(_ type: Int, team: String? = nil, id: UUID = UUID()) -> JSONValue {
        var object: [String: JSONValue] = ["actionId": .string(id.wire), "fixtureActionTypeId": .number(type)]
        if let team { object["team"] = .object(["id": .string(team)]) }
        return .object(object)
    }

    func post(_ actions: [JSONValue], to fixture: UUID, via node: NodeProcess) async throws -> (
        status: UInt, body: String, retryAfter: String?
    ) {
        var request = HTTPClientRequest(
            url: "http://127.0.0.1:\(node.port)/ingest/v2/tabletennis/fixtures/\(fixture.wire)/actions")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(scout)")
        request.body = .bytes(JSONValue.array(actions).buffer)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 22))
        return (response.status.code, body, response.headers.first(name: "Retry-After"))
    }

    /// The fixture's packets, from a node's REST list.
    func actionsList(_ fixture: UUID, via node: NodeProcess) async throws -> [JSONValue] {
        var request = HTTPClientRequest(
            url: "http://127.0.0.1:\(node.port)/v2/tabletennis/fixtures/\(fixture.wire)/actions")
        request.headers.add(name: "Authorization", value: "Bearer \(consumer)")
        request.headers.add(name: "Accept", value: "application/vnd.imggaming.dde.api+json;version=1")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 1 << 24)
        guard response.status == .ok, case .array(let packets) = try JSONValue.parse(body.readableBytesView) else {
            throw RuleViolation("the actions list answered \(response.status)")
        }
        return packets
    }

    /// The fixture's latest statistics packet, from a node's REST answer.
    func latestStatistics(_ fixture: UUID, via node: NodeProcess) async throws -> JSONValue {
        var request = HTTPClientRequest(
            url: "http://127.0.0.1:\(node.port)/v2/tabletennis/fixtures/\(fixture.wire)/statistics")
        request.headers.add(name: "Authorization", value: "Bearer \(consumer)")
        request.headers.add(name: "Accept", value: "application/vnd.imggaming.dde.api+json;version=1")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        guard response.status == .ok else { throw RuleViolation("the statistics answered \(response.status)") }
        return try JSONValue.parse(try await response.body.collect(upTo: 1 << 20).readableBytesView)
    }

    /// The home and away team ids of a fixture, from a node.
    func teamIds(_ fixture: UUID, via node: NodeProcess) async throws -> [String] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(node.port)/v2/tabletennis/fixtures/\(fixture.wire)")
        request.headers.add(name: "Authorization", value: "Bearer \(consumer)")
        request.headers.add(name: "Accept", value: "application/vnd.imggaming.dde.api+json;version=1")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let json = try JSONValue.parse(try await response.body.collect(upTo: 1 << 20).readableBytesView)
        guard case .array(let teams) = json["teams"] ?? .null else { throw RuleViolation("no teams in \(json)") }
        return teams.compactMap { $0["id"]?.stringValue }
    }

    /// Posts `requests` arrays of 1-4 Possession Gained actions (either team, at random), through the nodes in
    /// turn. A request that fails (503, a node gone) is sent again, the same actions, to the next node, as a scout's
    /// client does; the server's idempotent retries make that safe.
    func scout(
        _ fixture: UUID, via nodes: [NodeProcess], requests: Int, seed: UInt64, pause: Duration = .zero,
        outage: Outage? = nil
    ) async throws -> ScoutResult {
        var generator = SeededGenerator(seed: seed)
        let teams = try await teamIds(fixture, via: nodes[0])
        var result = ScoutResult()
        var turn = 0
        for _ in 0..<requests {
            let actions = (0..<Int.random(in: 1...4, using: &generator)).map { _ in
                action(15, team: teams[Int.random(in: 0...1, using: &generator)])
            }
            let ids = actions.compactMap { $0["actionId"]?.stringValue }
            var attempts = 0
            while true {
                attempts += 1
                guard attempts < 200 else {
                    result.refused.append("gave up after 200 attempts: \(ids)")
                    return result
                }
                let node = nodes[turn % nodes.count]
                let wasDown = outage?.isDown ?? false
                do {
                    let answer = try await post(actions, to: fixture, via: node)
                    switch answer.status {
                    case 200, 201:
                        result.acknowledged += ids
                        if wasDown, outage?.isDown ?? false { result.acknowledgedDuringOutage += 1 }
                    case 503:
                        result.unavailable += 1
                        if answer.retryAfter == nil { result.refused.append("503 without Retry-After") }
                        try await Task.sleep(for: .milliseconds(200))
                        continue
                    default:
                        result.refused.append("\(answer.status): \(answer.body)")
                    }
                    break
                } catch {
                    // The node is gone: the next one takes the same request.
                    turn += 1
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            if pause > .zero { try await Task.sleep(for: pause) }
        }
        return result
    }

    /// Follows a fixture's stream (of its actions or its statistics) on the nodes in turn, resuming with
    /// `startPosition` after the last number received whenever a connection ends, until it has every number up to
    /// the total (once known).
    func follow(
        _ fixture: UUID, media: Bool, content: StreamContent = .actions, from ports: [Int],
        until total: @escaping @Sendable () -> Int?
    ) async throws -> FollowResult {
        var result = FollowResult(fixture: fixture, content: content)
        let started = ContinuousClock.now
        var turn = 0
        let path = (media ? "/media" : "") + "/v2/tabletennis/fixtures/\(fixture.wire)/\(content.pathSegment)"
        while true {
            let last = result.received.last ?? 0
            if let total = total(), last >= total { return result }
            guard ContinuousClock.now - started < .seconds(150) else {
                result.faults.append("did not catch up within 150 s (last \(last), total \(total() ?? -1))")
                return result
            }
            let transcript = StreamTranscript()
            do {
                try await StreamClient.run(
                    port: ports[turn % ports.count], path: path + "?startPosition=\(last)",
                    firstFrame: StreamClient.auth(consumer), into: transcript,
                    stop: { transcript in
                        guard let total = total() else { return false }
                        return (transcript.lastSeqNum ?? last) >= total
                    })
            } catch {
                turn += 1
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            result.connections += 1
            let numbers = transcript.seqNums
            for (expected, got) in zip((last + 1)..., numbers) where expected != got {
                result.faults.append("connection \(result.connections) from \(last): expected \(expected), got \(got)")
                return result
            }
            result.received += numbers
            if let code = transcript.closeCode, code != .normalClosure, code != .goingAway {
                result.faults.append("closed with \(UInt16(webSocketErrorCode: code))")
                return result
            }
            if transcript.closeCode == nil || transcript.closeCode == .goingAway { turn += 1 }
        }
    }
}

/// A `matchwire serve` process whose output goes to a file.
final class NodeProcess: Sendable {
    let process: ChildProcess
    let port: Int
    let log: String

    private init(process: ChildProcess, port: Int, log: String) {
        self.process = process
        self.port = port
        self.log = log
    }

    static func start(arguments: [String]) throws -> NodeProcess {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(
            "matchwire-node-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)  // a failure shows in the next line
        let output = try FileHandle(forWritingTo: log)
        let process = ChildProcess()
        process.executableURL = ServerProcess.executable
        process.arguments = ["serve", "--port", "0"] + arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                let port = Int(text[range].split(separator: ":").last ?? "")
            {
                return NodeProcess(process: process, port: port, log: log.path)
            }
            guard process.isRunning else { throw RuleViolation("the node stopped before it listened: \(text)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw RuleViolation("the node did not listen within 60 s")
    }

    /// Waits until `/ready` answers 200: the store answers and the node listens for other nodes' appends.
    func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var last = ""
        while ContinuousClock.now < deadline {
            do {
                let response = try await HTTPClient.shared.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/ready"), timeout: .seconds(5))
                last = String(buffer: try await response.body.collect(upTo: 1 << 16))
                if response.status == .ok { return }
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RuleViolation("node on \(port) not ready within 30 s: \(last)")
    }

    /// A scrape of the node's `/metrics`.
    func metrics() async throws -> Exposition {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        #expect(response.status == .ok)
        return Exposition(String(buffer: try await response.body.collect(upTo: 1 << 22)))
    }

    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
