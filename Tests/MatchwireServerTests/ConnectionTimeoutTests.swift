import NIOCore
import Testing

@testable import MatchwireServer

/// ``ConnectionTimeout``: one wake-up at a time, never cancelled, no further ahead than its step.
@Suite struct ConnectionTimeoutTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test func aTimeoutFiresAtItsDeadline() throws {
        var timeout = ConnectionTimeout(step: .seconds(10))
        let armed = timeout.arm(at: at(10), now: at(0))
        let wakeUp = try #require(armed)
        #expect(wakeUp.deadline == at(10))
        let outcome = timeout.wokeUp(wakeUp.number, now: at(10))
        #expect(outcome == .timedOut)
        #expect(timeout.deadline == nil, "a timeout that fired is disarmed")
    }

    @Test func aDeadlineBeyondTheStepIsReachedInSteps() throws {
        var timeout = ConnectionTimeout(step: .seconds(10))
        let armed = timeout.arm(at: at(25), now: at(0))
        let first = try #require(armed)
        #expect(first.deadline == at(10))
        let atTen = timeout.wokeUp(first.number, now: at(10))
        guard case .schedule(let second) = atTen else {
            Issue.record("the deadline has not come at 10 s: the next wake-up is asked for, not \(atTen)")
            return
        }
        #expect(second.deadline == at(20))
        let atTwenty = timeout.wokeUp(second.number, now: at(20))
        guard case .schedule(let third) = atTwenty else {
            Issue.record("the deadline has not come at 20 s: not \(atTwenty)")
            return
        }
        #expect(third.deadline == at(25), "the last wake-up is the deadline itself, not a step")
        let atTwentyFive = timeout.wokeUp(third.number, now: at(25))
        #expect(atTwentyFive == .timedOut)
    }

    @Test func movingTheDeadlineLaterSchedulesNothing() throws {
        var timeout = ConnectionTimeout(step: .seconds(10))
        let armed = timeout.arm(at: at(10), now: at(0))
        let wakeUp = try #require(armed)
        let moved = timeout.arm(at: at(14), now: at(4))
        #expect(moved == nil, "the wake-up at 10 s comes first and moves on")
        let atTen = timeout.wokeUp(wakeUp.number, now: at(10))
        guard case .schedule(let next) = atTen else {
            Issue.record("the moved deadline has not come at 10 s: not \(atTen)")
            return
        }
        #expect(next.deadline == at(14))
        let atFourteen = timeout.wokeUp(next.number, now: at(14))
        #expect(atFourteen == .timedOut)
    }

    @Test func aDisarmedTimeoutsWakeUpDoesNothing() throws {
        var timeout = ConnectionTimeout(step: .seconds(10))
        let armed = timeout.arm(at: at(10), now: at(0))
        let wakeUp = try #require(armed)
        timeout.disarm()
        let atTen = timeout.wokeUp(wakeUp.number, now: at(10))
        #expect(atTen == .nothing)
        // Armed again after its last wake-up ran: a new wake-up is needed.
        let armedAgain = timeout.arm(at: at(15), now: at(11))
        let again = try #require(armedAgain)
        #expect(again.deadline == at(15))
        let atFifteen = timeout.wokeUp(again.number, now: at(15))
        #expect(atFifteen == .timedOut)
    }

    @Test func anEarlierDeadlineGetsItsOwnWakeUpAndTheOlderOneDoesNothing() throws {
        var timeout = ConnectionTimeout(step: .seconds(10))
        let armed = timeout.arm(at: at(10), now: at(0))
        let first = try #require(armed)
        let armedEarlier = timeout.arm(at: at(3), now: at(1))
        let earlier = try #require(armedEarlier, "the wake-up at 10 s would be too late")
        #expect(earlier.deadline == at(3))
        let atThree = timeout.wokeUp(earlier.number, now: at(3))
        #expect(atThree == .timedOut)
        let atTen = timeout.wokeUp(first.number, now: at(10))
        #expect(atTen == .nothing, "replaced: it must not fire again")
    }

    @Test func aTimeoutArmedAgainBeforeItsWakeUpRanMovesOnToTheNewDeadline() throws {
        var timeout = ConnectionTimeout(step: .seconds(10))
        let armed = timeout.arm(at: at(10), now: at(0))
        let wakeUp = try #require(armed)
        timeout.disarm()
        let armedAgain = timeout.arm(at: at(12), now: at(2))
        #expect(armedAgain == nil, "the wake-up at 10 s still runs, and comes first")
        let atTen = timeout.wokeUp(wakeUp.number, now: at(10))
        guard case .schedule(let next) = atTen else {
            Issue.record("the re-armed deadline has not come at 10 s: not \(atTen)")
            return
        }
        #expect(next.deadline == at(12))
    }

    /// A step of zero or less (a configuration of 0 s) is the minimum step: wake-ups still move on.
    @Test func aStepIsAtLeastTheMinimum() {
        #expect(ConnectionTimeout(step: .zero).step == ConnectionTimeout.minimumStep)
        #expect(ConnectionTimeout(step: .seconds(-5)).step == ConnectionTimeout.minimumStep)
        #expect(ConnectionTimeout(step: .seconds(10)).step == .seconds(10))
    }
}
