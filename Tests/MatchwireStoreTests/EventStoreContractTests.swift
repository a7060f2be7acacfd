import Foundation
import Logging
import MatchwireCore
import MatchwireStore
import PostgresNIO
import PostgresTestCluster
import SQLiteNIO
import Synchronization
import Testing

/// The back ends that must pass the contract. Each opens a fresh, empty store, and can open it again.
///
/// PostgreSQL runs on a throwaway cluster the tests start (`PostgresTestCluster`), a new database per test. Where
/// PostgreSQL is not installed its cases are left out, and the run says so loudly on stderr.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static var allCases: [StoreKind] { PostgresTestCluster.isInstalled ? [.sqlite, .postgres] : [.sqlite] }

    var testDescription: String { rawValue }

    /// The stores several nodes can share.
    static var shared: [StoreKind] { allCases.filter { $0 == .postgres } }

    /// A fresh store, with ways to open it again and to make another writer hold it.
    func make() async throws -> TestStore {
        switch self {
        case .postgres:
            let cluster = try #require(try await PostgresTestCluster.shared())
            let url = try await cluster.newDatabase()
            let database = PostgresTestCluster.databaseName(in: url)
            return TestStore(
                store: try await Self.runningPostgres(url),
                reopen: { try await Self.runningPostgres(url) },
                holdWrites: {
                    let connection = try await PostgresConnection.connect(
                        configuration: .init(
                            host: cluster.host, port: cluster.port, username: cluster.user, password: nil,
                            database: database, tls: .disable),
                        id: 1, logger: Logger(label: "test"))
                    try await connection.query("BEGIN", logger: Logger(label: "test"))
                    try await connection.query("LOCK TABLE packets IN EXCLUSIVE MODE", logger: Logger(label: "test"))
                    return {
                        try await connection.query("COMMIT", logger: Logger(label: "test"))
                        try await connection.close()
                    }
                },
                runSQL: { sql in _ = try await cluster.query(sql, database: database) })
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "matchwire-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("store.sqlite").path
            return TestStore(
                store: try await SQLiteEventStore.open(path: path),
                reopen: { try await SQLiteEventStore.open(path: path) },
                holdWrites: {
                    let other = try await SQLiteConnection.open(storage: .file(path: path))
                    // A write the store is finishing (a checkpoint, say) is waited for, not failed.
                    _ = try await other.query("PRAGMA busy_timeout = 10000")
                    _ = try await other.query("BEGIN IMMEDIATE")
                    return {
                        _ = try await other.query("COMMIT")
                        try await other.close()
                    }
                },
                runSQL: { sql in
                    let other = try await SQLiteConnection.open(storage: .file(path: path))
                    _ = try await other.query("PRAGMA busy_timeout = 10000")
                    _ = try await other.query(sql)
                    try await other.close()
                })
        }
    }

    /// A PostgreSQL store on `url` whose service runs for the rest of the test process (a store is small; the
    /// cluster goes away with the process).
    static func runningPostgres(_ url: String) async throws -> PostgresEventStore {
        // Quiet: the stores outlive their tests, and their listeners complain once the cluster stops at exit.
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        // The contract is not about time limits (PostgresStoreTests test those): a generous one, so that a loaded
        // machine, with the whole suite running in parallel, cannot turn a slow answer into a failure.
        let store = try PostgresEventStore(url: url, operationTimeout: .seconds(30), logger: logger)
        Task { try? await store.run() }
        return store
    }
}

struct TestStore {
    let store: any EventStore
    /// Opens the same store again.
    let reopen: @Sendable () async throws -> any EventStore
    /// Makes another connection take the store's write lock, and returns the function that releases it.
    let holdWrites: @Sendable () async throws -> @Sendable () async throws -> Void
    /// Runs SQL on the store's database behind its back: to damage a row, say.
    let runSQL: @Sendable (String) async throws -> Void
}

func makeFixture(
    home: String = "PARK Gahyeon", away: String = "BATRA Manika", start: String = "2025-05-20T08:30:00",
    status: FixtureStatus = .scheduled
) -> Fixture {
    var fixture = Fixture(
        id: UUID(), sport: .tableTennis, startDate: Timestamp(localDateTime: start)!,
        teams: [TeamRef(id: UUID(), name: home, homeTeam: true), TeamRef(id: UUID(), name: away, homeTeam: false)],
        rules: TableTennisRules().rulesObject)
    fixture.status = status
    return fixture
}

func makePacket(_ fixture: Fixture, seq: Int, period: Int = 1, statistics: Int? = nil) -> StoredPacket {
    StoredPacket(
        fixtureId: fixture.id, seqNum: seq, period: period, actionId: UUID(), sendType: .confirmed,
        traceId: String(format: "%032x", seq),
        receivedAt: receivedAt(packet: seq),
        submission: Array("{\"n\":\(seq)}".utf8), bytes: Array("{\"seq\":\(seq),\"period\":\(period)}".utf8),
        statistics: statistics.map { makeStatistics($0, packet: seq) })
}

/// When the server received packet `seq` of a test fixture.
func receivedAt(packet seq: Int) -> Timestamp {
    Timestamp(millisecondsSince1970: 1_747_729_800_000 + Int64(seq))
}

/// A statistics packet `seqNum`, made by packet `packet` (and read back with that packet's receipt time).
func makeStatistics(_ seqNum: Int, packet: Int, text: String = "") -> StoredStatistics {
    StoredStatistics(
        seqNum: seqNum, fixtureSeqNum: packet, receivedAt: receivedAt(packet: packet),
        bytes: Array("{\"seqNum\":\(seqNum)\(text)}".utf8))
}

/// What every EventStore must do, whatever keeps the data.
@Suite struct EventStoreContractTests {
    @Test(arguments: StoreKind.allCases) func fixtureIsStoredReadAndUpdated(kind: StoreKind) async throws {
        let store = try await kind.make().store
        var fixture = makeFixture()
        try await store.insertFixture(fixture)
        #expect(try await store.fixture(id: fixture.id) == fixture)
        await #expect(throws: StoreError.duplicate("fixture \(fixture.id.wire)")) {
            try await store.insertFixture(fixture)
        }
        let stored = fixture
        fixture.updateCount += 1
        fixture.teams[0].name = "KIM Nayeong"
        try await store.updateFixture(fixture, replacing: stored)
        #expect(try await store.fixture(id: fixture.id)?.name == "KIM Nayeong v BATRA Manika")
        #expect(try await store.fixture(id: UUID()) == nil)
        try await store.close()
    }

    /// A fixture a store keeps in memory (for a stream's connect without a read) is always what a read returns
    /// now: every write of it, an append whatever it changes, drops it. A store that keeps fixtures (SQLite, one
    /// process writing) keeps the one it read last; the store several nodes share keeps none.
    @Test(arguments: StoreKind.allCases) func aKeptFixtureIsWhatAReadReturns(kind: StoreKind) async throws {
        let store = try await kind.make().store
        var fixture = makeFixture()
        #expect(store.keptFixture(id: fixture.id) == nil, "an unknown fixture is never kept")
        try await store.insertFixture(fixture)
        let keeps = kind == .sqlite

        /// What the store keeps of the fixture after a read: the read's fixture, or nothing.
        func keptAfterRead() async throws -> Fixture? {
            let read = try await store.fixture(id: fixture.id)
            let kept = store.keptFixture(id: fixture.id)
            #expect(kept == (keeps ? read : nil))
            return kept
        }

        #expect(try await keptAfterRead()?.lastSeqNum == (keeps ? 0 : nil))
        try await store.append([makePacket(fixture, seq: 1)], fixture: fixture, recordChanged: false)
        #expect(store.keptFixture(id: fixture.id) == nil, "an append that leaves the record drops it all the same")
        #expect(try await keptAfterRead()?.lastSeqNum == (keeps ? 1 : nil), "read again, with its last number")

        let before = fixture
        fixture.updateCount += 1
        fixture.status = .live
        try await store.updateFixture(fixture, replacing: try #require(try await store.fixture(id: fixture.id)))
        #expect(store.keptFixture(id: fixture.id) == nil, "a changed record drops it")
        #expect(try await keptAfterRead()?.status == (keeps ? .live : nil))
        #expect(before.status == .scheduled)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases) func fixturesAreFilteredSortedAndPaged(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let early = makeFixture(home: "B", start: "2025-05-19T10:00:00")
        let late = makeFixture(home: "A", start: "2025-05-21T10:00:00", status: .live)
        let middle = makeFixture(home: "C", start: "2025-05-20T23:59:59")
        for fixture in [late, early, middle] { try await store.insertFixture(fixture) }

        let all = try await store.fixtures(FixtureQuery(sport: .tableTennis))
        #expect(all.fixtures.map(\.id) == [early.id, middle.id, late.id])
        #expect(all.totalElements == 3)
        let byName = try await store.fixtures(FixtureQuery(sport: .tableTennis, sort: [(.name, false)]))
        #expect(byName.fixtures.map(\.id) == [middle.id, early.id, late.id])
        let live = try await store.fixtures(FixtureQuery(sport: .tableTennis, status: .live))
        #expect(live.fixtures.map(\.id) == [late.id])
        let day = try await store.fixtures(
            FixtureQuery(sport: .tableTennis, dateFrom: "2025-05-20", dateTo: "2025-05-20"))
        #expect(day.fixtures.map(\.id) == [middle.id])
        let page = try await store.fixtures(FixtureQuery(sport: .tableTennis, page: (number: 1, size: 2)))
        #expect(page.fixtures.map(\.id) == [late.id])
        #expect(page.totalElements == 3)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases) func packetsAreAppendedInSequenceAndReadBack(kind: StoreKind) async throws {
        let store = try await kind.make().store
        var fixture = makeFixture()
        try await store.insertFixture(fixture)
        try await store.append(
            [makePacket(fixture, seq: 1, period: 0), makePacket(fixture, seq: 2)], fixture: fixture, recordChanged: true
        )
        fixture.status = .completed
        try await store.append([makePacket(fixture, seq: 3, period: 0)], fixture: fixture, recordChanged: true)
        #expect(try await store.lastSeqNum(fixtureId: fixture.id) == 3)
        #expect(try await store.fixture(id: fixture.id)?.status == .completed, "the fixture is saved with its packets")

        let stored = try await store.packets(fixtureId: fixture.id, after: 1, limit: 10)
        #expect(
            stored
                == [makePacket(fixture, seq: 2), makePacket(fixture, seq: 3, period: 0)].enumerated().map {
                    index, expected in
                    StoredPacket(
                        fixtureId: expected.fixtureId, seqNum: expected.seqNum, period: expected.period,
                        actionId: stored[index].actionId,
                        sendType: expected.sendType, traceId: expected.traceId, receivedAt: expected.receivedAt,
                        submission: expected.submission, bytes: expected.bytes)
                })
        #expect(try await store.packets(fixtureId: fixture.id, after: 0, limit: 2).map(\.seqNum) == [1, 2])
        let bySeq = try await store.packetBytes(fixtureId: fixture.id, order: .seqNum)
        #expect(
            bySeq.map { String(decoding: $0, as: UTF8.self) } == [
                "{\"seq\":1,\"period\":0}", "{\"seq\":2,\"period\":1}", "{\"seq\":3,\"period\":0}",
            ])
        let byTimeline = try await store.packetBytes(fixtureId: fixture.id, order: .timeline)
        #expect(
            byTimeline.map { String(decoding: $0, as: UTF8.self) } == [
                "{\"seq\":1,\"period\":0}", "{\"seq\":3,\"period\":0}", "{\"seq\":2,\"period\":1}",
            ])
        try await store.close()
    }

    /// A statistics packet is stored in the same transaction as the action packet that made it, and read back
    /// with it, after a number, or alone as the latest.
    @Test(arguments: StoreKind.allCases) func statisticsAreStoredWithThePacketsThatMadeThem(kind: StoreKind)
        async throws
    {
        let store = try await kind.make().store
        let fixture = makeFixture()
        try await store.insertFixture(fixture)
        #expect(try await store.latestStatistics(fixtureId: fixture.id) == nil, "none before the first")
        let first = [makePacket(fixture, seq: 1), makePacket(fixture, seq: 2, statistics: 1)]
        try await store.append(first, fixture: fixture, recordChanged: false)
        let second = [makePacket(fixture, seq: 3, statistics: 2), makePacket(fixture, seq: 4, statistics: 3)]
        try await store.append(second, fixture: fixture, recordChanged: false)
        let read = try await store.packets(fixtureId: fixture.id, after: 0, limit: 10)
        #expect(read.map(\.statistics) == (first + second).map(\.statistics), "each packet with the one it made")
        #expect(
            try await store.statistics(fixtureId: fixture.id, after: 1, limit: 10)
                == [makeStatistics(2, packet: 3), makeStatistics(3, packet: 4)])
        #expect(try await store.statistics(fixtureId: fixture.id, after: 0, limit: 1) == [makeStatistics(1, packet: 2)])
        #expect(try await store.latestStatistics(fixtureId: fixture.id) == makeStatistics(3, packet: 4))
        // A refused append stores none of its statistics.
        await #expect(throws: StoreError.self) {
            try await store.append([makePacket(fixture, seq: 4, statistics: 4)], fixture: fixture, recordChanged: false)
        }
        #expect(try await store.latestStatistics(fixtureId: fixture.id)?.seqNum == 3)
        try await store.close()
    }

    /// Statistics of packets stored before the store kept them are added once; those stored are left as they are.
    @Test(arguments: StoreKind.allCases) func missingStatisticsAreAddedAndStoredOnesKept(kind: StoreKind)
        async throws
    {
        let store = try await kind.make().store
        let fixture = makeFixture()
        try await store.insertFixture(fixture)
        try await store.append(
            [makePacket(fixture, seq: 1), makePacket(fixture, seq: 2), makePacket(fixture, seq: 3, statistics: 3)],
            fixture: fixture, recordChanged: false)
        try await store.insertMissingStatistics(
            [
                makeStatistics(1, packet: 1), makeStatistics(2, packet: 2),
                makeStatistics(3, packet: 3, text: ",\"x\":1"),
            ],
            fixtureId: fixture.id)
        // Twice, as two nodes rebuilding one fixture at once would.
        try await store.insertMissingStatistics([makeStatistics(2, packet: 2, text: ",\"x\":2")], fixtureId: fixture.id)
        #expect(
            try await store.statistics(fixtureId: fixture.id, after: 0, limit: 10)
                == [makeStatistics(1, packet: 1), makeStatistics(2, packet: 2), makeStatistics(3, packet: 3)])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases) func appendThatSkipsOrReusesASequenceNumberStoresNothing(kind: StoreKind)
        async throws
    {
        let store = try await kind.make().store
        let fixture = makeFixture()
        try await store.insertFixture(fixture)
        try await store.append([makePacket(fixture, seq: 1)], fixture: fixture, recordChanged: true)
        await #expect(throws: StoreError.sequenceConflict(fixtureId: fixture.id, expected: 2, got: 1)) {
            try await store.append([makePacket(fixture, seq: 1)], fixture: fixture, recordChanged: true)
        }
        await #expect(throws: StoreError.sequenceConflict(fixtureId: fixture.id, expected: 3, got: 4)) {
            try await store.append(
                [makePacket(fixture, seq: 2), makePacket(fixture, seq: 4)], fixture: fixture, recordChanged: true)
        }
        #expect(try await store.lastSeqNum(fixtureId: fixture.id) == 1, "a failed array leaves nothing behind")
        try await store.close()
    }

    /// An import stores a whole match at once: more rows than one statement takes, still all or nothing.
    @Test(arguments: StoreKind.allCases) func aVeryLargeAppendIsStoredWhole(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let fixture = makeFixture()
        try await store.insertFixture(fixture)
        try await store.append((1...12_000).map { makePacket(fixture, seq: $0) }, fixture: fixture, recordChanged: true)
        #expect(try await store.lastSeqNum(fixtureId: fixture.id) == 12_000)
        #expect(try await store.packetBytes(fixtureId: fixture.id, order: .seqNum).count == 12_000)
        await #expect(throws: StoreError.self) {
            try await store.append(
                (12_000...24_000).map { makePacket(fixture, seq: $0) }, fixture: fixture, recordChanged: false)
        }
        #expect(try await store.lastSeqNum(fixtureId: fixture.id) == 12_000, "a refused large append leaves nothing")
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases) func concurrentAppendsToManyFixturesAllLand(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let fixtures = (0..<8).map { _ in makeFixture() }
        for fixture in fixtures { try await store.insertFixture(fixture) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for fixture in fixtures {
                group.addTask {
                    for seq in 1...20 {
                        // Every other packet makes a statistics packet, stored with it in whatever group it joins.
                        try await store.append(
                            [makePacket(fixture, seq: seq, statistics: seq % 2 == 0 ? seq / 2 : nil)], fixture: fixture,
                            recordChanged: true)
                    }
                }
            }
            try await group.waitForAll()
        }
        for fixture in fixtures {
            #expect(try await store.packets(fixtureId: fixture.id, after: 0, limit: 100).map(\.seqNum) == Array(1...20))
            #expect(
                try await store.statistics(fixtureId: fixture.id, after: 0, limit: 100).map(\.fixtureSeqNum)
                    == Array(stride(from: 2, through: 20, by: 2)))
        }
        try await store.close()
    }

    /// Streams rely on this: a packet is published once `append` has returned, and a subscriber that reads the
    /// store after that must find it, however many other reads are running. (A reader connection shared by
    /// overlapping statements kept the snapshot of the oldest one, and missed such commits.)
    @Test(arguments: StoreKind.allCases) func aReadThatStartsAfterAnAppendReturnedSeesItWhileOtherReadsRun(
        kind: StoreKind
    ) async throws {
        let store = try await kind.make().store
        let fixture = makeFixture()
        try await store.insertFixture(fixture)
        try await store.append((1...200).map { makePacket(fixture, seq: $0) }, fixture: fixture, recordChanged: false)
        let appending = Flag()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Readers of the whole fixture, over and over: their statements overlap the checks below.
                for _ in 0..<4 {
                    group.addTask {
                        while appending.isSet {
                            _ = try await store.packets(fixtureId: fixture.id, after: 0, limit: 300)
                        }
                    }
                }
                defer { appending.clear() }
                for seq in 201...300 {
                    try await store.append([makePacket(fixture, seq: seq)], fixture: fixture, recordChanged: false)
                    let read = try await store.packets(fixtureId: fixture.id, after: seq - 1, limit: 1)
                    try #require(
                        read.map(\.seqNum) == [seq], "packet \(seq) was appended but a read after it missed it")
                    #expect(try await store.lastSeqNum(fixtureId: fixture.id) == seq)
                }
                appending.clear()
                try await group.waitForAll()
            }
        } catch {
            try? await store.close()  // an open store must be closed, even when the test fails
            throw error
        }
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases) func appendsThatFailAmongConcurrentOnesFailAloneAndSaveNothing(
        kind: StoreKind
    ) async throws {
        let made = try await kind.make()
        let store = made.store
        do {
            let fixtures = (0..<40).map { _ in makeFixture() }
            let opening = makeFixture()
            for fixture in fixtures + [opening] { try await store.insertFixture(fixture) }
            // Another writer holds the store while one append waits for it and the others queue behind, so that they
            // are written together once it lets go.
            let release = try await made.holdWrites()
            let waiting = Task {
                try await store.append([makePacket(opening, seq: 1)], fixture: opening, recordChanged: true)
            }
            try await Task.sleep(for: .milliseconds(200))
            let started = {
                var fixture = fixtures[0]
                fixture.status = .live
                return fixture
            }()
            let unknown = makeFixture()
            let outcomes = await withTaskGroup(of: (UUID, Int, StoreError?).self) { group in
                // Fixture 0 gets a gap, an unknown fixture gets one packet, and every fixture gets its packet 1, all at once.
                group.addTask {
                    do {
                        try await store.append([makePacket(started, seq: 3)], fixture: started, recordChanged: true)
                        return (started.id, 3, nil)
                    } catch { return (started.id, 3, error as? StoreError) }
                }
                for fixture in fixtures + [unknown] {
                    group.addTask {
                        do {
                            try await store.append([makePacket(fixture, seq: 1)], fixture: fixture, recordChanged: true)
                            return (fixture.id, 1, nil)
                        } catch { return (fixture.id, 1, error as? StoreError) }
                    }
                }
                try? await Task.sleep(for: .milliseconds(200))
                try? await release()
                return await group.reduce(into: [:]) { $0.updateValue($1.2, forKey: [$1.0.wire, String($1.1)]) }
            }
            try await waiting.value
            #expect(outcomes.count == 42)
            let gap = try #require(outcomes[[started.id.wire, "3"]] ?? nil)
            #expect(
                gap == .sequenceConflict(fixtureId: started.id, expected: 1, got: 3)
                    || gap == .sequenceConflict(fixtureId: started.id, expected: 2, got: 3))
            #expect(outcomes[[unknown.id.wire, "1"]] == .some(.unknownFixture(unknown.id)))
            #expect(try await store.lastSeqNum(fixtureId: unknown.id) == 0, "nothing of the unknown fixture is kept")
            for fixture in fixtures {
                #expect(outcomes[[fixture.id.wire, "1"]] == .some(nil), "every other append landed")
                #expect(try await store.packets(fixtureId: fixture.id, after: 0, limit: 10).map(\.seqNum) == [1])
            }
            #expect(
                try await store.fixture(id: started.id)?.status == .scheduled, "a refused append saves no fixture")
        } catch {
            try? await store.close()  // an open store must be closed, even when the test fails
            throw error
        }
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases) func dataSurvivesClosingAndOpeningAgain(kind: StoreKind) async throws {
        let made = try await kind.make()
        let (store, reopen) = (made.store, made.reopen)
        let fixture = makeFixture()
        try await store.insertFixture(fixture)
        var live = fixture
        live.status = .live
        try await store.append([makePacket(fixture, seq: 1)], fixture: live, recordChanged: true)
        try await store.append([makePacket(fixture, seq: 2)], fixture: fixture, recordChanged: false)
        try await store.close()
        let again = try await reopen()
        var expected = live
        expected.lastSeqNum = 2
        #expect(
            try await again.fixture(id: fixture.id) == expected,
            "the last record written, with the number of its last packet")
        #expect(try await again.lastSeqNum(fixtureId: fixture.id) == 2)
        try await again.close()
    }

    @Test(arguments: StoreKind.allCases) func tokensAreStoredListedAndRevoked(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let token = TokenRecord(
            name: "bookmaker", hash: String(repeating: "ab", count: 32), role: .consumer, feeds: [.betting],
            sports: [.tableTennis], createdAt: Timestamp(millisecondsSince1970: 1_747_729_800_000))
        try await store.insertToken(token)
        #expect(try await store.token(hash: token.hash) == token)
        #expect(try await store.token(hash: "unknown") == nil)
        await #expect(throws: StoreError.duplicate("token bookmaker")) { try await store.insertToken(token) }
        #expect(try await store.tokens() == [token])
        #expect(try await store.revokeToken(name: "bookmaker"))
        #expect(try await store.token(hash: token.hash)?.revoked == true)
        #expect(try await store.revokeToken(name: "nobody") == false)
        try await store.close()
    }

    /// A store that says when its tokens changed (so that a server may keep them in memory) must say it for every
    /// token stored or revoked, through itself or through another instance on the same database (another
    /// process: the `token` command while the server runs), and only then. One that cannot tell says nil, and
    /// the server reads the token on every check.
    @Test(arguments: StoreKind.allCases) func tokenChangesAreToldByEveryInstance(kind: StoreKind) async throws {
        let made = try await kind.make()
        let store = made.store
        guard let changes = store.tokenChanges else {
            #expect(kind == .postgres, "only the store several nodes share reads its tokens on every check")
            return
        }
        let other = try await made.reopen()
        let token = TokenRecord(
            name: "bookmaker", hash: String(repeating: "cd", count: 32), role: .consumer, feeds: [.betting],
            sports: [.tableTennis], createdAt: Timestamp(millisecondsSince1970: 1_747_729_800_000))
        var seen = changes.generation
        try await store.insertToken(token)
        #expect(changes.generation != seen, "a token stored here")
        seen = changes.generation
        _ = try await store.tokens()
        _ = try await store.token(hash: token.hash)
        #expect(changes.generation == seen, "reads change nothing")
        #expect(try await other.revokeToken(name: "bookmaker"))
        #expect(changes.generation != seen, "a token revoked through another instance")
        seen = changes.generation
        #expect(try await other.revokeToken(name: "nobody") == false)
        #expect(changes.generation == seen, "a revocation of no token changes nothing")
        try await other.close()
        try await store.close()
    }
}

/// What protects a fixture written by several writers (several nodes) at once.
@Suite struct EventStoreConcurrencyContractTests {
    @Test(arguments: StoreKind.allCases) func aChangeOrAppendMadeFromAnOlderRecordIsRefused(kind: StoreKind)
        async throws
    {
        let store = try await kind.make().store
        let original = makeFixture()
        try await store.insertFixture(original)
        var renamed = original
        renamed.teams[0].name = "KIM Nayeong"
        renamed.updateCount += 1
        try await store.updateFixture(renamed, replacing: original)

        var other = original
        other.updateCount += 1
        other.teams[1].name = "DOO Hoi Kem"
        await #expect(throws: StoreError.fixtureChanged(original.id), "a second change from the same record") {
            try await store.updateFixture(other, replacing: original)
        }
        await #expect(throws: StoreError.fixtureChanged(original.id), "packets made under the old record") {
            try await store.append([makePacket(original, seq: 1)], fixture: original, recordChanged: false)
        }
        try await store.append([makePacket(renamed, seq: 1)], fixture: renamed, recordChanged: false)
        var stale = renamed
        stale.updateCount += 1
        await #expect(throws: StoreError.fixtureChanged(original.id), "a change read before packet 1 was stored") {
            try await store.updateFixture(stale, replacing: renamed)
        }
        #expect(try await store.fixture(id: original.id)?.name == "KIM Nayeong v BATRA Manika")
        #expect(try await store.lastSeqNum(fixtureId: original.id) == 1)
        try await store.close()
    }

    /// A row the database itself refuses (here a packet number taken behind the store's back) fails its own append
    /// only: the others that were committed with it in a group land, each answered on its own.
    @Test(arguments: StoreKind.allCases) func anAppendTheDatabaseRefusesInAGroupFailsAlone(kind: StoreKind)
        async throws
    {
        let made = try await kind.make()
        let store = made.store
        do {
            try await refusedRowFailsAlone(made)
        } catch {
            try? await store.close()  // an open store must be closed, even when the test fails
            throw error
        }
        try await store.close()
    }

    private func refusedRowFailsAlone(_ made: TestStore) async throws {
        let store = made.store
        let fixtures = (0..<5).map { _ in makeFixture() }
        let spoiled = makeFixture()
        let opening = makeFixture()
        for fixture in fixtures + [spoiled, opening] { try await store.insertFixture(fixture) }
        let bytes = store is PostgresEventStore ? "decode('00', 'hex')" : "X'00'"
        try await made.runSQL(
            """
            INSERT INTO packets (fixture_id, seq, period, action_id, send_type, trace_id, received_at, submission, body)
            VALUES ('\(spoiled.id.wire)', 1, 1, '\(UUID().wire)', \(SendType.confirmed.rawValue), 'stray', 0, \(bytes), \(bytes))
            """)
        // The store's writes are held while one append waits for them and the others queue behind it: they are
        // committed together once it lets go.
        let release = try await made.holdWrites()
        let waiting = Task {
            try await store.append([makePacket(opening, seq: 1)], fixture: opening, recordChanged: false)
        }
        try await Task.sleep(for: .milliseconds(200))
        let outcomes = await withTaskGroup(of: (UUID, (any Error)?).self) { group in
            for fixture in fixtures + [spoiled] {
                group.addTask {
                    do {
                        try await store.append([makePacket(fixture, seq: 1)], fixture: fixture, recordChanged: false)
                        return (fixture.id, nil)
                    } catch {
                        return (fixture.id, error)
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(200))
            try? await release()
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        try await waiting.value
        let kept = try await store.packets(fixtureId: spoiled.id, after: 0, limit: 10)
        #expect(kept.map(\.traceId) == ["stray"], "the stray row stays, alone")
        let refusal = try #require(outcomes[spoiled.id] ?? nil, "the append whose number was taken is refused")
        #expect(refusal is StoreError, "\(refusal)")
        for fixture in fixtures {
            #expect(
                outcomes[fixture.id] ?? nil == nil,
                "every other append landed: \(String(describing: outcomes[fixture.id]))")
            #expect(try await store.packets(fixtureId: fixture.id, after: 0, limit: 10).map(\.seqNum) == [1])
        }
    }

    /// Two writers (two store instances on one database, as two nodes have) race for the numbers of one fixture:
    /// each reads the last number, appends the next and, when refused, reads again. Every number is taken once.
    ///
    /// On the stores several nodes share only: a SQLite file has one server writing it, and two writers on one
    /// file wait for each other's lock on the threads of sqlite-nio's pool, which every other test needs too.
    @Test(arguments: StoreKind.shared) func twoWritersRacingForOneFixtureNeverRepeatOrSkipANumber(kind: StoreKind)
        async throws
    {
        let made = try await kind.make()
        let second = try await made.reopen()
        let fixture = makeFixture()
        try await made.store.insertFixture(fixture)
        let perWriter = 40
        let conflicts = try await withThrowingTaskGroup(of: Int.self) { group in
            for store in [made.store, second] {
                group.addTask {
                    var conflicts = 0
                    var stored = 0
                    while stored < perWriter {
                        let next = try await store.lastSeqNum(fixtureId: fixture.id) + 1
                        do {
                            try await store.append(
                                [makePacket(fixture, seq: next)], fixture: fixture, recordChanged: false)
                            stored += 1
                        } catch StoreError.sequenceConflict {
                            conflicts += 1
                        }
                    }
                    return conflicts
                }
            }
            return try await group.reduce(0, +)
        }
        let numbers = try await made.store.packets(fixtureId: fixture.id, after: 0, limit: 1000).map(\.seqNum)
        #expect(numbers == Array(1...(2 * perWriter)), "every number once, in order (\(conflicts) races lost)")
        #expect(try await second.lastSeqNum(fixtureId: fixture.id) == 2 * perWriter)
        try await second.close()
        try await made.store.close()
    }

    /// A row that cannot be read back is an error naming it, never skipped: a stream would pass over its number.
    @Test(arguments: StoreKind.allCases) func anUnreadableRowIsAnErrorNotASkip(kind: StoreKind) async throws {
        let made = try await kind.make()
        let store = made.store
        let fixture = makeFixture()
        try await store.insertFixture(fixture)
        try await store.append((1...3).map { makePacket(fixture, seq: $0) }, fixture: fixture, recordChanged: false)
        try await made.runSQL("UPDATE packets SET send_type = 99 WHERE seq = 2")
        await #expect(throws: StoreError.self) {
            _ = try await store.packets(fixtureId: fixture.id, after: 0, limit: 10)
        }
        do {
            _ = try await store.packets(fixtureId: fixture.id, after: 0, limit: 10)
        } catch let error as StoreError {
            guard case .corruptRow(let what) = error else { throw error }
            #expect(what.contains(fixture.id.wire))
        }
        #expect(try await store.packets(fixtureId: fixture.id, after: 2, limit: 10).map(\.seqNum) == [3])
        try await made.runSQL(
            "UPDATE fixtures SET body = CAST('not json' AS \(kind == .postgres ? "bytea" : "BLOB"))")
        await #expect(throws: StoreError.corruptRow("fixture \(fixture.id.wire)")) {
            _ = try await store.fixture(id: fixture.id)
        }
        try await store.close()
    }
}

/// A flag tasks can read while another clears it.
final class Flag: Sendable {
    private let value = Atomic<Bool>(true)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func clear() { value.store(false, ordering: .relaxed) }
}
