import Foundation
import MatchwireCore
import Synchronization

/// The fixtures a store read lately, kept so that a stream's connect can be decided on the event loop, without a
/// read (issue 19: the fixture's read, a hop to the store's threads and back, was what a current client's connect
/// still cost).
///
/// Exactly what a read would return: an entry is dropped whenever this store writes its fixture (a packet
/// appended, the record changed), after the write's commit, and a read that a write overtook is not kept. Other
/// processes only add fixtures (`fixture create`; `import`, which stores the record, then its packets in a second
/// transaction: a server that reads the record in between keeps it with no packets, for at most ``maximumAge``,
/// and its sport and status, all a stream's connect takes from it, are already final), the server alone ingests,
/// and an unknown fixture is never kept, so a fixture one of them adds is found by the next read.
/// Bounded all the same: an entry is trusted for at most ``maximumAge`` (2 s in a server; a change made behind the store's back,
/// by hand-written SQL, shows then), and at most ``capacity`` are kept (emptied when full).
public final class KeptFixtures: Sendable {
    static let capacity = 4096
    public static let defaultMaximumAge = Duration.seconds(2)
    /// The longest an entry is trusted without a read.
    let maximumAge: Duration

    private struct State {
        /// Moved by every write: a read made while it moved may hold what the write replaced.
        var writes = 0
        var fixtures: RecentReads<UUID, Fixture>
    }

    private let state: Mutex<State>
    private let now: @Sendable () -> ContinuousClock.Instant

    init(maximumAge: Duration = defaultMaximumAge, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.maximumAge = maximumAge
        self.now = now
        state = Mutex(State(fixtures: RecentReads(capacity: Self.capacity, maximumAge: maximumAge)))
    }

    /// The kept fixture, unless it is older than ``maximumAge``.
    func fixture(id: UUID) -> Fixture? {
        let now = now()
        return state.withLock { $0.fixtures.value(for: id, now: now) }
    }

    /// The count of writes so far, taken before a read and given back to ``remember(_:readAfter:)``.
    var writes: Int { state.withLock { $0.writes } }

    /// Keeps a fixture read from the store, unless a write came since `writes` (the count before the read).
    func remember(_ fixture: Fixture, readAfter writes: Int) {
        let now = now()
        state.withLock { state in
            guard state.writes == writes else { return }
            state.fixtures.keep(fixture, for: fixture.id, now: now)
        }
    }

    /// A write of the fixture committed (or may have): its entry goes, and reads in flight are not kept.
    func written(_ id: UUID) {
        state.withLock { state in
            state.writes &+= 1
            state.fixtures.remove(id)
        }
    }

    var count: Int { state.withLock { $0.fixtures.count } }
}
