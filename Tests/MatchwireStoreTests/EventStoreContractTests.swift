import Foundation
import MatchwireCore
import MatchwireStore
import SQLiteNIO
import Synchronization
import Testing

/// The back ends that must pass the contract. Each opens a fresh, empty store, and can open it again.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite

    var testDescription: String { rawValue }

    /// A fresh store, with ways to open it again and to make another writer hold it.
    func make() async throws -> TestStore {
        switch self {
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
                    _ = try await other.query("BEGIN IMMEDIATE")
                    return {
                        _ = try await other.query("COMMIT")
                        try await other.close()
                    }
                })
        }
    }
}

struct TestStore {
    let store: any EventStore
    /// Opens the same store again.
    let reopen: @Sendable () async throws -> any EventStore
    /// Makes another connection take the store's write lock, and returns the function that releases it.
    let holdWrites: @Sendable () async throws -> @Sendable () async throws -> Void
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

func makePacket(_ fixture: Fixture, seq: Int, period: Int = 1) -> StoredPacket {
    StoredPacket(
        fixtureId: fixture.id, seqNum: seq, period: period, actionId: UUID(), sendType: .confirmed,
        traceId: String(format: "%032x", seq),
        receivedAt: Timestamp(millisecondsSince1970: 1_747_729_800_000 + Int64(seq)),
        submission: Array("{\"n\":\(seq)}".utf8), bytes: Array("{\"seq\":\(seq),\"period\":\(period)}".utf8))
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
        fixture.updateCount += 1
        fixture.teams[0].name = "KIM Nayeong"
        try await store.updateFixture(fixture)
        #expect(try await store.fixture(id: fixture.id)?.name == "KIM Nayeong v BATRA Manika")
        #expect(try await store.fixture(id: UUID()) == nil)
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
        try await store.append([makePacket(fixture, seq: 1, period: 0), makePacket(fixture, seq: 2)], fixture: fixture)
        fixture.status = .completed
        try await store.append([makePacket(fixture, seq: 3, period: 0)], fixture: fixture)
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

    @Test(arguments: StoreKind.allCases) func appendThatSkipsOrReusesASequenceNumberStoresNothing(kind: StoreKind)
        async throws
    {
        let store = try await kind.make().store
        let fixture = makeFixture()
        try await store.insertFixture(fixture)
        try await store.append([makePacket(fixture, seq: 1)], fixture: fixture)
        await #expect(throws: StoreError.sequenceConflict(fixtureId: fixture.id, expected: 2, got: 1)) {
            try await store.append([makePacket(fixture, seq: 1)], fixture: fixture)
        }
        await #expect(throws: StoreError.sequenceConflict(fixtureId: fixture.id, expected: 3, got: 4)) {
            try await store.append([makePacket(fixture, seq: 2), makePacket(fixture, seq: 4)], fixture: fixture)
        }
        #expect(try await store.lastSeqNum(fixtureId: fixture.id) == 1, "a failed array leaves nothing behind")
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases) func concurrentAppendsToManyFixturesAllLand(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let fixtures = (0..<8).map { _ in makeFixture() }
        for fixture in fixtures { try await store.insertFixture(fixture) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for fixture in fixtures {
                group.addTask {
                    for seq in 1...20 { try await store.append([makePacket(fixture, seq: seq)], fixture: fixture) }
                }
            }
            try await group.waitForAll()
        }
        for fixture in fixtures {
            #expect(try await store.packets(fixtureId: fixture.id, after: 0, limit: 100).map(\.seqNum) == Array(1...20))
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
        try await store.append((1...200).map { makePacket(fixture, seq: $0) }, fixture: nil)
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
                    try await store.append([makePacket(fixture, seq: seq)], fixture: nil)
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
        let fixtures = (0..<40).map { _ in makeFixture() }
        let opening = makeFixture()
        for fixture in fixtures + [opening] { try await store.insertFixture(fixture) }
        // Another writer holds the store while one append waits for it and the others queue behind, so that they
        // are written together once it lets go.
        let release = try await made.holdWrites()
        let waiting = Task { try await store.append([makePacket(opening, seq: 1)], fixture: opening) }
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
                    try await store.append([makePacket(started, seq: 3)], fixture: started)
                    return (started.id, 3, nil)
                } catch { return (started.id, 3, error as? StoreError) }
            }
            for fixture in fixtures + [unknown] {
                group.addTask {
                    do {
                        try await store.append([makePacket(fixture, seq: 1)], fixture: fixture)
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
        #expect(try await store.fixture(id: started.id)?.status == .scheduled, "a refused append saves no fixture")
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases) func dataSurvivesClosingAndOpeningAgain(kind: StoreKind) async throws {
        let made = try await kind.make()
        let (store, reopen) = (made.store, made.reopen)
        let fixture = makeFixture()
        try await store.insertFixture(fixture)
        var live = fixture
        live.status = .live
        try await store.append([makePacket(fixture, seq: 1)], fixture: live)
        try await store.append([makePacket(fixture, seq: 2)], fixture: nil)
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
}

/// A flag tasks can read while another clears it.
final class Flag: Sendable {
    private let value = Atomic<Bool>(true)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func clear() { value.store(false, ordering: .relaxed) }
}
