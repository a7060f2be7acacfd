import Foundation
import MatchwireCore
import Synchronization
import Testing

@testable import MatchwireStore

/// Group commit, as both stores use it: which appends of a group go in, and how waiting writes are grouped.
@Suite struct GroupCommitTests {
    // MARK: Which appends of a group are refused

    @Test func appendsContinuingTheirFixturesAreAllAccepted() {
        let (first, second) = (makeFixture(), makeFixture())
        let versions = [
            first.id: FixtureVersion(updateCount: 0, lastSeqNum: 4),
            second.id: FixtureVersion(updateCount: 2, lastSeqNum: 0),
        ]
        let refusals = AppendCheck.refusals(
            of: [
                (first.id, 0, [makePacket(first, seq: 5), makePacket(first, seq: 6)]),
                (second.id, 2, [makePacket(second, seq: 1)]),
                // A second append of one fixture in the same group continues where the first left it.
                (first.id, 0, [makePacket(first, seq: 7)]),
            ], versions: versions)
        #expect(refusals == [nil, nil, nil])
    }

    @Test func eachRefusalNamesItsRuleAndLeavesTheOthersAsTheyAre() {
        let (known, changed, unknown) = (makeFixture(), makeFixture(), makeFixture())
        let versions = [
            known.id: FixtureVersion(updateCount: 0, lastSeqNum: 1),
            changed.id: FixtureVersion(updateCount: 3, lastSeqNum: 0),
        ]
        let refusals = AppendCheck.refusals(
            of: [
                (known.id, 0, [makePacket(known, seq: 3)]),  // a gap: 2 is next
                (unknown.id, 0, [makePacket(unknown, seq: 1)]),
                (changed.id, 2, [makePacket(changed, seq: 1)]),  // made under update count 2, stored 3
                (known.id, 0, [makePacket(known, seq: 2)]),  // the refused append above took no number
            ], versions: versions)
        #expect(
            refusals == [
                .sequenceConflict(fixtureId: known.id, expected: 2, got: 3), .unknownFixture(unknown.id),
                .fixtureChanged(changed.id), nil,
            ])
    }

    @Test func anAppendWhoseOwnNumbersHaveAGapIsRefusedAtTheGap() {
        let fixture = makeFixture()
        let packets = [1, 2, 4].map { makePacket(fixture, seq: $0) }
        #expect(
            AppendCheck.consecutive(packets, fixtureId: fixture.id)
                == .sequenceConflict(fixtureId: fixture.id, expected: 3, got: 4))
        #expect(AppendCheck.consecutive(Array(packets.prefix(2)), fixtureId: fixture.id) == nil)
    }

    // MARK: How waiting writes are grouped

    @Test func aGroupTakesWritesInOrderWithinItsBounds() {
        #expect(GroupCommit<Int>.groupSize([], maxWrites: 4, maxWeight: 10) == 0)
        #expect(GroupCommit<Int>.groupSize([1, 1, 1, 1, 1], maxWrites: 4, maxWeight: 10) == 4)
        #expect(GroupCommit<Int>.groupSize([4, 4, 4], maxWrites: 4, maxWeight: 10) == 2)
        // The first write goes whatever its weight: alone.
        #expect(GroupCommit<Int>.groupSize([30, 1], maxWrites: 4, maxWeight: 10) == 1)
        // In arrival order: a light write behind a heavy one waits for the next group.
        #expect(GroupCommit<Int>.groupSize([6, 6, 1], maxWrites: 4, maxWeight: 10) == 1)
    }

    @Test(.timeLimit(.minutes(1))) func writesArrivingWhileAGroupCommitsGoTogetherInTheNextAndEachGetsItsOwnAnswer()
        async throws
    {
        let queue = GroupCommit<Int>(maxWrites: 10)
        let groups = Mutex<[[Int]]>([])
        let (firstStarted, started) = AsyncStream.makeStream(of: Void.self)
        let (gate, opened) = AsyncStream.makeStream(of: Void.self)
        let commit: GroupCommit<Int>.Commit = { group in
            let isFirst = groups.withLock { groups in
                groups.append(group)
                return groups.count == 1
            }
            if isFirst {
                started.yield()
                for await _ in gate { break }  // held until the others wait
            }
            // Odd writes are refused, alone.
            return group.map { $0 % 2 == 1 ? StoreError.duplicate("write \($0)") : nil }
        }
        try await withThrowingTaskGroup(of: (Int, Bool).self) { tasks in
            tasks.addTask {
                try await queue.submit(0, commit: commit)
                return (0, true)
            }
            for await _ in firstStarted { break }
            for write in 1...6 {
                tasks.addTask {
                    do {
                        try await queue.submit(write, commit: commit)
                        return (write, true)
                    } catch {
                        return (write, false)
                    }
                }
            }
            // The six wait behind the first group; then it ends.
            while queue.waitingCount < 6 { await Task.yield() }
            opened.yield()
            var answers: [Int: Bool] = [:]
            for try await (write, committed) in tasks { answers[write] = committed }
            #expect(answers == [0: true, 1: false, 2: true, 3: false, 4: true, 5: false, 6: true])
        }
        let committed = groups.withLock { $0 }
        #expect(committed.count == 2)
        #expect(committed.first == [0])
        #expect(committed.last?.sorted() == [1, 2, 3, 4, 5, 6])
    }
}
