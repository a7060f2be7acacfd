/// Values read lately from a store, kept so that the next use needs no read: each trusted for at most
/// `maximumAge`, at most `capacity` of them (emptied when full, so a burst of new keys cannot grow it).
///
/// A value, held in its owner's lock. What makes an entry wrong (a write of the fixture, a token changed anywhere)
/// is the owner's to know: it removes entries, and does not keep a read that a change overtook.
/// ``KeptFixtures`` and the server's token table are its two owners.
package struct RecentReads<Key: Hashable, Value> {
    package let capacity: Int
    /// The longest an entry is trusted after its read.
    package let maximumAge: Duration

    private var entries: [Key: (value: Value, readAt: ContinuousClock.Instant)] = [:]

    package init(capacity: Int, maximumAge: Duration) {
        self.capacity = capacity
        self.maximumAge = maximumAge
    }

    /// The value kept for `key`, unless it was read `maximumAge` or longer before `now`.
    package func value(for key: Key, now: ContinuousClock.Instant) -> Value? {
        guard let entry = entries[key], entry.readAt.duration(to: now) < maximumAge else { return nil }
        return entry.value
    }

    /// Keeps a value read from the store; its age counts from `now`, taken when the read ended (so a value is
    /// trusted for `maximumAge` after its read ended, whatever the read took).
    package mutating func keep(_ value: Value, for key: Key, now: ContinuousClock.Instant) {
        if entries.count >= capacity { entries.removeAll() }
        entries[key] = (value, now)
    }

    package mutating func remove(_ key: Key) {
        entries[key] = nil
    }

    package mutating func removeAll() {
        entries.removeAll()
    }

    package var count: Int { entries.count }
}
