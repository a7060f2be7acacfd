import Synchronization

/// The time limit of an operation ran out.
struct DeadlineExceeded: Error {}

/// Runs an operation with a time limit that holds even when the operation does not notice its cancellation (a
/// query on a connection whose peer went silent): the caller gets `DeadlineExceeded` at the limit, and the
/// operation, cancelled, ends by itself later.
enum Deadline {
    static func run<T: Sendable>(
        within limit: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.start(continuation, limit: limit, operation)
            }
        } onCancel: {
            race.cancel()
        }
    }

    /// The operation against the clock: whichever ends first answers the caller, and the other is cancelled.
    private final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var work: Task<Void, Never>?
            var clock: Task<Void, Never>?
            var cancelled = false
        }

        private let state = Mutex(State())

        func start(
            _ continuation: CheckedContinuation<T, any Error>, limit: Duration,
            _ operation: @escaping @Sendable () async throws -> T
        ) {
            state.withLock { $0.continuation = continuation }
            let work = Task {
                do {
                    self.finish(.success(try await operation()))
                } catch {
                    self.finish(.failure(error))
                }
            }
            let clock = Task {
                // Cancelled when the operation ends first, so that no sleeping task outlives it.
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                self.finish(.failure(DeadlineExceeded()))
            }
            let (ended, cancelled) = state.withLock { state in
                state.work = work
                state.clock = clock
                return (state.continuation == nil, state.cancelled)
            }
            // Ended before the tasks were kept: the clock stops, and so does the work if the clock ended it (a
            // work that finished ignores the cancellation).
            if ended {
                clock.cancel()
                work.cancel()
            }
            if cancelled { work.cancel() }
        }

        func cancel() {
            state.withLock { state in
                state.cancelled = true
                return state.work
            }?.cancel()
        }

        private func finish(_ result: Result<T, any Error>) {
            let (continuation, work, clock) = state.withLock { state in
                (state.continuation.take(), state.work, state.clock)
            }
            guard let continuation else { return }
            clock?.cancel()
            if case .failure(let error) = result, error is DeadlineExceeded { work?.cancel() }
            continuation.resume(with: result)
        }
    }
}
