import Foundation
import MatchwireCore
import Testing

@testable import MatchwireStore

/// The SQLite log's checkpoints run beside the writer (``WALCheckpoints``): at a live feed's pace each one copies the
/// whole log, which the next commit then starts again from its beginning, so the writer never checkpoints inside a
/// commit (its own automatic checkpoint is only a backstop, far above what the log reaches) and the log stays the
/// size of one interval's commits.
@Suite struct WALCheckpointTests {
    static func logBytes(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
    }

    @Test func theLogIsCheckpointedBesideTheWriterAndStartedAgain() async throws {
        let path = try SQLiteSchemaTests.newPath()
        let store = try await SQLiteEventStore.open(path: path)
        #expect(try await store.writerAutoCheckpointPages() == WALCheckpoints.writerBackstopPages)
        let fixture = makeFixture()
        try await store.insertFixture(fixture)
        var seq = 0
        var logAfterFirstRound = 0
        for round in 1...4 {
            // One interval of commits (the fixture's insert was the first of the first), then a pause until its
            // checkpoint has run, as between the actions of a live match.
            for _ in 0..<(WALCheckpoints.interval - (round == 1 ? 1 : 0)) {
                seq += 1
                try await store.append([makePacket(fixture, seq: seq)], fixture: fixture, recordChanged: false)
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while store.checkpointsCompleted < round, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(store.checkpointsCompleted == round, "round \(round)")
            if round == 1 { logAfterFirstRound = try Self.logBytes(path) }
        }
        // Without the checkpoints the log would hold all four rounds' pages (below the writer's backstop); with them
        // each round's commits reuse the first round's space.
        let log = try Self.logBytes(path)
        #expect(log <= logAfterFirstRound * 3 / 2, "log of \(log) bytes, \(logAfterFirstRound) after the first round")
        try await store.close()
        let reopened = try await SQLiteEventStore.open(path: path)
        #expect(try await reopened.lastSeqNum(fixtureId: fixture.id) == seq)
        try await reopened.close()
    }
}
