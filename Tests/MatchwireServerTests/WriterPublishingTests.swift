import Foundation
import MatchwireCore
import MatchwireStore
import Synchronization
import Testing

@testable import MatchwireServer

/// The writer hands every stored packet to the hub, in order, even when the store said an append failed after
/// it had in fact committed it.
@Suite struct WriterPublishingTests {
    /// The first append of the writer (nothing published yet), a later one, and appends whose packets made
    /// statistics packets (the first and a later one): the action packets and the statistics packets are published
    /// as soon as the append fails, not when the scout retries.
    @Test(arguments: [1, 2, 4, 5])
    func packetsOfAnAppendThatFailedAfterItsCommitArePublishedAtOnceInOrder(failingAppend: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("matchwire-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sqlite = try await SQLiteEventStore.open(path: directory.appendingPathComponent("s.sqlite").path)
        let store = CommitsThenFails(sqlite, failingAppend: failingAppend)
        let fixture = TestServer.tableTennisFixture()
        try await store.insertFixture(fixture)
        let hub = StreamHub(logger: .init(label: "test"))
        func subscribe(_ content: StreamContent) throws -> Subscription {
            let opened = hub.open(onEnd: { _ in })
            let stream = try #require(opened)
            return hub.subscribe(stream, topic: StreamTopic(fixtureId: fixture.id, content: content), capacity: 100)
        }
        let actions = try subscribe(.actions)
        let statistics = try subscribe(.statistics)
        let writers = FixtureWriters(store: store, hub: hub)
        func ingest(_ type: Int, home: Bool? = nil) async throws {
            var action: [String: JSONValue] = [
                "actionId": .string(UUID().wire), "fixtureActionTypeId": .number(type),
            ]
            if let home { action["team"] = .object(["id": .string((home ? fixture.home : fixture.away).id.wire)]) }
            try await writers.ingest(
                [try ActionSubmission(json: .object(action))], fixtureId: fixture.id, receivedAt: .now)
        }
        var actionQueue = actions.packets.makeAsyncIterator()
        var statisticsQueue = statistics.packets.makeAsyncIterator()
        var published: [Int] = []
        var publishedStatistics: [Int] = []
        // Start Match, Start Period, Start Game, then three points: one statistics packet each.
        for (index, (type, home)) in [(2, nil), (4, nil), (6, nil), (1102, true), (1102, false), (1102, true)]
            .enumerated()
        {
            if index + 1 == failingAppend {
                await #expect(throws: AppendFailedAfterCommit.self) { try await ingest(type, home: home) }
            } else {
                try await ingest(type, home: home)
            }
            published.append(try #require(await actionQueue.next()).seqNum)
            if type == 1102 { publishedStatistics.append(try #require(await statisticsQueue.next()).seqNum) }
        }
        #expect(published == Array(1...6), "the committed packet is published, once, before the next")
        #expect(publishedStatistics == [1, 2, 3], "and so is the statistics packet it made")
        #expect(try await store.lastSeqNum(fixtureId: fixture.id) == 6)
        try await sqlite.close()
    }
}

struct AppendFailedAfterCommit: Error {}

/// A store whose n-th append commits and then throws, as when a connection breaks after the commit.
final class CommitsThenFails: ForwardingStore, @unchecked Sendable {
    let failingAppend: Int
    private let appends = Mutex(0)

    init(_ base: any EventStore, failingAppend: Int) {
        self.failingAppend = failingAppend
        super.init(base)
    }

    override func append(_ packets: [StoredPacket], fixture: Fixture, recordChanged: Bool) async throws {
        try await base.append(packets, fixture: fixture, recordChanged: recordChanged)
        let count = appends.withLock { count in
            count += 1
            return count
        }
        if count == failingAppend { throw AppendFailedAfterCommit() }
    }
}
