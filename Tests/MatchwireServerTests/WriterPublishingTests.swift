import Foundation
import MatchwireCore
import MatchwireStore
import Synchronization
import Testing

@testable import MatchwireServer

/// The writer hands every stored packet to the hub, in order, even when the store said an append failed after
/// it had in fact committed it.
@Suite struct WriterPublishingTests {
    /// The first append of the writer (nothing published yet) and a later one; the packets are published as soon
    /// as the append fails, not when the scout retries.
    @Test(arguments: [1, 2])
    func packetsOfAnAppendThatFailedAfterItsCommitArePublishedAtOnceInOrder(failingAppend: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("matchwire-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sqlite = try await SQLiteEventStore.open(path: directory.appendingPathComponent("s.sqlite").path)
        let store = CommitsThenFails(sqlite, failingAppend: failingAppend)
        let fixture = TestServer.tableTennisFixture()
        try await store.insertFixture(fixture)
        let hub = StreamHub(logger: .init(label: "test"))
        let streamOpened = hub.open(onEnd: { _ in })
        let stream = try #require(streamOpened)
        let subscription = hub.subscribe(stream, fixtureId: fixture.id, capacity: 100)
        let writers = FixtureWriters(store: store, hub: hub)
        func ingest(_ type: Int) async throws {
            let action = JSONValue.object([
                "actionId": .string(UUID().wire), "fixtureActionTypeId": .number(type),
            ])
            try await writers.ingest([try ActionSubmission(json: action)], fixtureId: fixture.id, receivedAt: .now)
        }
        var queue = subscription.packets.makeAsyncIterator()
        var published: [Int] = []
        for (index, type) in [2, 4].enumerated() {
            if index + 1 == failingAppend {
                await #expect(throws: AppendFailedAfterCommit.self) { try await ingest(type) }
            } else {
                try await ingest(type)
            }
            published.append(try #require(await queue.next()).seqNum)
        }
        try await ingest(6)
        published.append(try #require(await queue.next()).seqNum)
        #expect(published == [1, 2, 3], "the committed packet is published, once, before the next")
        #expect(try await store.lastSeqNum(fixtureId: fixture.id) == 3)
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
