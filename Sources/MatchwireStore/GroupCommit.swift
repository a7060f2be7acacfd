import Synchronization

/// Group commit: writes that arrive while a transaction runs wait for the next one, which takes them all (up to
/// a bound) in one transaction, one flush and one round of statements. Each caller still returns only once its
/// own write is durable, or with the error that refused it alone.
///
/// One group is committed at a time by this queue: a caller that finds no group running starts the task that
/// commits groups until none is waiting, with the `commit` it was given (every caller of one queue gives the
/// same: the store's). `commit` answers each write of a group on its own (an append that does not continue its
/// fixture's sequence is refused while the others commit) and decides what a failure of the whole transaction
/// means for its writes. A write waits at most for the group before its own.
final class GroupCommit<Write: Sendable>: Sendable {
    /// Commits a group and answers each of its writes, in order: nil when committed, else the error refusing it.
    typealias Commit = @Sendable ([Write]) async -> [(any Error)?]

    private struct Waiting: Sendable {
        let write: Write
        let weight: Int
        let done: CheckedContinuation<Void, any Error>
    }

    private struct Queue {
        var waiting: [Waiting] = []
        /// Whether a task is committing groups; it goes on until `waiting` is empty.
        var committing = false
    }

    private let queue = Mutex(Queue())
    private let maxWrites: Int
    private let maxWeight: Int

    /// A group takes at most `maxWrites` writes and, unless it is a single write, a `weight` (rows, say) of at
    /// most `maxWeight` in all.
    init(maxWrites: Int, maxWeight: Int = .max) {
        precondition(maxWrites >= 1 && maxWeight >= 1)
        self.maxWrites = maxWrites
        self.maxWeight = maxWeight
    }

    /// How many writes wait for the next group.
    var waitingCount: Int { queue.withLock { $0.waiting.count } }

    /// Returns once `write` is committed with the group it joined; throws what refused it.
    func submit(_ write: Write, weight: Int = 1, commit: @escaping Commit) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let starts = queue.withLock { queue in
                queue.waiting.append(Waiting(write: write, weight: weight, done: done))
                defer { queue.committing = true }
                return !queue.committing
            }
            // Short-lived: it ends when no write waits. Every caller it serves is suspended in this call.
            if starts { Task { await self.commitWaiting(commit) } }
        }
    }

    private func commitWaiting(_ commit: Commit) async {
        while true {
            let group: [Waiting] = queue.withLock { queue in
                let count = Self.groupSize(queue.waiting.map(\.weight), maxWrites: maxWrites, maxWeight: maxWeight)
                let group = Array(queue.waiting.prefix(count))
                queue.waiting.removeFirst(count)
                if group.isEmpty { queue.committing = false }
                return group
            }
            guard !group.isEmpty else { return }
            let outcomes = await commit(group.map(\.write))
            precondition(outcomes.count == group.count, "a group commit answers each of its writes")
            for (waiting, error) in zip(group, outcomes) {
                if let error { waiting.done.resume(throwing: error) } else { waiting.done.resume() }
            }
        }
    }

    /// How many of the writes waiting, of these weights, the next group takes: in arrival order, at most
    /// `maxWrites`, and while their weights add up to at most `maxWeight` (the first is always taken).
    static func groupSize(_ weights: [Int], maxWrites: Int, maxWeight: Int) -> Int {
        var count = 0
        var total = 0
        for weight in weights.prefix(maxWrites) {
            guard count == 0 || total + weight <= maxWeight else { break }
            count += 1
            total += weight
        }
        return count
    }
}
