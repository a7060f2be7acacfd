import Testing

@testable import MatchwireStore

/// ``RecentReads``: what a store read lately, trusted for a while, bounded in number.
@Suite struct RecentReadsTests {
    let start = ContinuousClock.now

    @Test func aValueIsTrustedForLessThanItsMaximumAge() {
        var reads = RecentReads<String, Int>(capacity: 10, maximumAge: .seconds(2))
        reads.keep(7, for: "a", now: start)
        #expect(reads.value(for: "a", now: start) == 7)
        #expect(reads.value(for: "a", now: start + .milliseconds(1999)) == 7)
        #expect(reads.value(for: "a", now: start + .seconds(2)) == nil, "read again at its maximum age")
        #expect(reads.value(for: "b", now: start) == nil)
    }

    @Test func keepingAgainRenewsTheReadTime() {
        var reads = RecentReads<String, Int>(capacity: 10, maximumAge: .seconds(2))
        reads.keep(7, for: "a", now: start)
        reads.keep(8, for: "a", now: start + .seconds(1))
        #expect(reads.value(for: "a", now: start + .milliseconds(2500)) == 8)
    }

    @Test func aFullTableIsEmptiedBeforeTheNextValue() {
        var reads = RecentReads<Int, Int>(capacity: 3, maximumAge: .seconds(2))
        for key in 0..<3 { reads.keep(key, for: key, now: start) }
        #expect(reads.count == 3)
        reads.keep(3, for: 3, now: start)
        #expect(reads.count == 1)
        #expect(reads.value(for: 0, now: start) == nil)
        #expect(reads.value(for: 3, now: start) == 3)
        // Keeping a key again in a full table empties it too: the rule is the count, not the key.
        for key in 4..<6 { reads.keep(key, for: key, now: start) }
        reads.keep(30, for: 3, now: start)
        #expect(reads.count == 1)
        #expect(reads.value(for: 3, now: start) == 30)
    }

    @Test func removedValuesAreGone() {
        var reads = RecentReads<String, Int>(capacity: 10, maximumAge: .seconds(2))
        reads.keep(1, for: "a", now: start)
        reads.keep(2, for: "b", now: start)
        reads.remove("a")
        #expect(reads.value(for: "a", now: start) == nil)
        #expect(reads.value(for: "b", now: start) == 2)
        reads.removeAll()
        #expect(reads.count == 0)
    }
}
