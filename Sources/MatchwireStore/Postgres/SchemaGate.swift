import Synchronization

/// Holds the store's operations until the schema is up to date, then lets every one through (or fails them all
/// with the reason it never will be, such as a database of a newer version).
final class SchemaGate: Sendable {
    private struct State {
        var outcome: Result<Void, StoreError>?
        var waiting: [Int: CheckedContinuation<Void, any Error>] = [:]
        var nextId = 0
    }

    private let state = Mutex(State())

    var isOpen: Bool {
        state.withLock { state in
            if case .success = state.outcome { return true }
            return false
        }
    }

    /// Opens the gate: nil when the schema is up to date, the error otherwise.
    func open(_ error: StoreError?) {
        let (outcome, waiting) = state.withLock {
            state -> (Result<Void, StoreError>, [CheckedContinuation<Void, any Error>]) in
            let outcome: Result<Void, StoreError> = error.map { .failure($0) } ?? .success(())
            state.outcome = outcome
            defer { state.waiting = [:] }
            return (outcome, Array(state.waiting.values))
        }
        for continuation in waiting { continuation.resume(with: outcome.mapError { $0 as any Error }) }
    }

    /// Returns once the gate is open; a cancelled wait throws `CancellationError`.
    func wait() async throws {
        if let outcome = state.withLock({ $0.outcome }) { return try outcome.get() }
        let id = state.withLock { state in
            state.nextId += 1
            return state.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if let outcome = state.outcome { return outcome.mapError { $0 } }
                    // Cancelled before it was kept: the cancellation handler found nothing to resume.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiting[id] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}
