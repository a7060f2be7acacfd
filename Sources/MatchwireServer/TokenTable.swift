import MatchwireCore
import MatchwireStore
import Synchronization

/// The tokens checked recently, by hash, so that a REST request or a stream's connect does not read the store for
/// its token (the store's read was the dearest step of a connect).
///
/// Kept current on revocation: the whole table is dropped whenever the store's ``TokenChanges`` generation has
/// moved (a token stored or revoked by this process or another), which each lookup reads first without touching
/// the store. So a revoked token is refused by the first check that starts after the revocation returned, as
/// when every check read the store. Bounded: at most ``capacity`` tokens (the table is emptied when full), each
/// read again from the store after ``maximumAge`` (``defaultMaximumAge`` in a server) whatever the generation says, which also bounds how long a
/// revocation made behind the store's back (a hand-written SQL update) can go unseen. Unknown tokens are not
/// kept: a client sending made-up tokens cannot fill the table, and each of its attempts reads the store as before.
/// A store that cannot tell changes without a read (PostgreSQL, several nodes) gets no table: every check reads.
final class TokenTable: Sendable {
    /// The most tokens kept.
    static let capacity = 10_000
    /// The longest a server trusts a kept token without reading the store again.
    static let defaultMaximumAge = Duration.seconds(2)

    private struct State {
        var generation: TokenChanges.Generation?
        /// The records, by token hash.
        var records: RecentReads<String, TokenRecord>
    }

    private let changes: TokenChanges
    private let state: Mutex<State>
    /// The longest a kept token is trusted without reading the store again.
    let maximumAge: Duration
    private let now: @Sendable () -> ContinuousClock.Instant

    init(
        changes: TokenChanges, maximumAge: Duration = defaultMaximumAge,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.changes = changes
        self.maximumAge = maximumAge
        self.now = now
        state = Mutex(State(records: RecentReads(capacity: Self.capacity, maximumAge: maximumAge)))
    }

    /// What a lookup found: the kept record, or the generation to remember a store read under.
    enum Lookup {
        case kept(TokenRecord)
        case unknown(TokenChanges.Generation)
    }

    /// The kept record of a token hash, unless the tokens changed or it is too old.
    func lookup(hash: String) -> Lookup {
        let generation = changes.generation
        let now = now()
        return state.withLock { state in
            if state.generation != generation {
                state.generation = generation
                state.records.removeAll()
            }
            guard let record = state.records.value(for: hash, now: now) else { return .unknown(generation) }
            return .kept(record)
        }
    }

    /// Keeps a record read from the store, unless the tokens changed since `generation` (the one the lookup
    /// before the read saw): the read may have been made before the change.
    func remember(_ record: TokenRecord, readUnder generation: TokenChanges.Generation) {
        let current = changes.generation
        let now = now()
        state.withLock { state in
            guard current == generation, state.generation == generation else { return }
            state.records.keep(record, for: record.hash, now: now)
        }
    }

    var count: Int { state.withLock { $0.records.count } }
}
