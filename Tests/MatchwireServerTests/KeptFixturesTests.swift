import Foundation
import MatchwireCore
import Testing

@testable import MatchwireStore

/// The fixtures a store keeps in memory between reads (issue 19): never what a write replaced, never older than
/// their maximum age, never more than the capacity.
@Suite struct KeptFixturesTests {
    @Test func aReadThatAWriteOvertookIsNotKept() {
        let kept = KeptFixtures()
        let fixture = TestServer.tableTennisFixture()
        let before = kept.writes
        // The read started, then a write of the fixture committed, then the read's answer came back.
        kept.written(fixture.id)
        kept.remember(fixture, readAfter: before)
        #expect(kept.fixture(id: fixture.id) == nil)
        kept.remember(fixture, readAfter: kept.writes)
        #expect(kept.fixture(id: fixture.id) == fixture)
        kept.written(fixture.id)
        #expect(kept.fixture(id: fixture.id) == nil, "a write drops it")
    }

    @Test func aKeptFixtureIsReadAgainAfterTheMaximumAge() {
        let clock = TokenTableTests.Clock()
        let kept = KeptFixtures(now: { clock.now })
        let fixture = TestServer.tableTennisFixture()
        kept.remember(fixture, readAfter: kept.writes)
        clock.advance(KeptFixtures.defaultMaximumAge - .milliseconds(1))
        #expect(kept.fixture(id: fixture.id) == fixture)
        clock.advance(.milliseconds(1))
        #expect(kept.fixture(id: fixture.id) == nil, "a change behind the store's back shows")
    }

    @Test func theKeptFixturesAreBounded() {
        let kept = KeptFixtures()
        for _ in 0..<KeptFixtures.capacity { kept.remember(TestServer.tableTennisFixture(), readAfter: kept.writes) }
        #expect(kept.count == KeptFixtures.capacity)
        let one = TestServer.tableTennisFixture()
        kept.remember(one, readAfter: kept.writes)
        #expect(kept.count == 1, "a full table is emptied, then takes the new fixture")
        #expect(kept.fixture(id: one.id) == one)
    }
}
