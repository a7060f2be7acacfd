import Foundation
import MatchwireCore
import Testing

/// Basketball (sports.md §6), written as games.
@Suite struct BasketballRulesTests {
    static let made2 = 23201
    static let missed2 = 23202
    static let made3 = 23301
    static let madeFreeThrow = 23101
    static let missedFreeThrow = 23102

    /// Tip-off: the 1st quarter started and its clock running.
    static func game(_ rules: BasketballRules = BasketballRules()) throws -> MatchScript {
        var game = try MatchScript(sport: .basketball, rules: rules.rulesObject)
        try game.send(4)
        try game.send(6)
        try game.send(8)
        return game
    }

    /// Ends the open period and starts the next with its clock running.
    static func nextPeriod(_ game: inout MatchScript) throws {
        try game.send(7)
        try game.send(6)
        try game.send(8)
    }

    @Test func beforeTipOffTheClockShowsTheFirstQuartersLength() throws {
        var game = try MatchScript(sport: .basketball, rules: BasketballRules().rulesObject)
        let colours = try game.send(2, metadata: ["homeTeamColour": "0, 38, 255", "awayTeamColour": "255, 242, 0"])
        #expect(colours.summary.currentClockTime.description == "10:00")
        #expect(colours.summary.clockRunning == false)
    }

    @Test func aPendingShotCountsNothingUntilConfirmedMade() throws {
        var game = try Self.game()
        let shot = UUID()
        let inTheAir = try game.send(
            233, .home, sendType: .pending, actionId: shot,
            metadata: ["courtPosition": ["x": -221, "y": 370, "zone": "AboveTheBreak3"]])
        #expect(inTheAir.summary.homeTeamScore == 0)
        #expect(inTheAir.summary.isHomeTeamInPossession == true)
        let made = try game.send(233, .home, actionId: shot, subType: Self.made3)
        #expect(made.summary.homeTeamScore == 3)
        #expect(made.summary.periods[0].homePeriodScore == 3)
        #expect(made.summary.isHomeTeamInPossession == false, "a made basket gives the ball to the other team")
    }

    @Test func aPendingShotThatIsCancelledNeverScores() throws {
        var game = try Self.game()
        let shot = UUID()
        try game.send(232, .away, sendType: .pending, actionId: shot)
        let cancelled = try game.send(232, .away, sendType: .cancelled, actionId: shot)
        #expect(cancelled.summary.awayTeamScore == 0)
    }

    @Test func aMissedShotScoresNothingAndTheReboundDecidesPossession() throws {
        var game = try Self.game()
        try game.send(207, .home)
        let missed = try game.send(232, .home, subType: Self.missed2)
        #expect(missed.summary.homeTeamScore == 0)
        #expect(missed.summary.isHomeTeamInPossession == true)
        #expect(try game.send(202, .away).summary.isHomeTeamInPossession == false)
        #expect(try game.send(204, .home).summary.isHomeTeamInPossession == true, "offensive rebound")
        #expect(try game.send(222, .away).summary.isHomeTeamInPossession == false, "steal")
        #expect(
            try game.send(201, .away, subType: 20004).summary.isHomeTeamInPossession == true,
            "a turnover gives the ball to the other team")
    }

    @Test func andOneCountsTheBasketAndTheFreeThrow() throws {
        var game = try Self.game()
        try game.send(232, .home, subType: Self.made2)
        try game.send(206, .away, subType: 20602)
        let awarded = try game.send(213, .home, metadata: ["count": 1])
        #expect(awarded.summary.isHomeTeamInPossession == false, "the basket counted: the ball went to the away side")
        let freeThrow = try game.send(231, .home, subType: Self.madeFreeThrow)
        #expect((freeThrow.summary.homeTeamScore, freeThrow.summary.awayTeamScore) == (3, 0))
        #expect(freeThrow.summary.isHomeTeamInPossession == false)
    }

    @Test func onlyTheLastMadeFreeThrowOfAnAwardHandsOverTheBall() throws {
        var game = try Self.game()
        try game.send(206, .home, subType: 20601)
        try game.send(15, .away)
        try game.send(213, .away, metadata: ["count": 2])
        let first = try game.send(231, .away, subType: Self.madeFreeThrow)
        #expect(first.summary.awayTeamScore == 1)
        #expect(first.summary.isHomeTeamInPossession == false, "one free throw still to come")
        let second = try game.send(231, .away, subType: Self.madeFreeThrow)
        #expect(second.summary.awayTeamScore == 2)
        #expect(second.summary.isHomeTeamInPossession == true)
    }

    @Test func aMissedLastFreeThrowLeavesPossessionToTheRebound() throws {
        var game = try Self.game()
        try game.send(15, .away)
        try game.send(213, .away, metadata: ["count": 2])
        try game.send(231, .away, subType: Self.madeFreeThrow)
        let missed = try game.send(231, .away, subType: Self.missedFreeThrow)
        #expect(missed.summary.awayTeamScore == 1)
        #expect(missed.summary.isHomeTeamInPossession == false)
    }

    @Test func twoPointShotCorrectedToThreePointsAfterReview() throws {
        var game = try Self.game()
        let shot = UUID()
        let homeShot = UUID()
        try game.send(232, .away, actionId: shot, subType: Self.made2)
        try game.send(232, .home, actionId: homeShot, subType: Self.made2)
        #expect(game.matchScore == (2, 2))
        let corrected = try game.send(233, .away, sendType: .updated, actionId: shot, subType: Self.made3)
        #expect(corrected.action.actionType == "3PT Shot")
        #expect((corrected.summary.homeTeamScore, corrected.summary.awayTeamScore) == (2, 3))
        #expect(corrected.summary.periods[0].awayPeriodScore == 3)
        let missedAfterAll = try game.send(233, .away, sendType: .updated, actionId: shot, subType: 23302)
        #expect(missedAfterAll.summary.awayTeamScore == 0, "Updated may switch Made to Missed")
        let deleted = try game.send(232, .home, sendType: .deleted, actionId: homeShot)
        #expect(deleted.summary.homeTeamScore == 0)
    }

    @Test func aShotConfirmedOrUpdatedWithoutItsOutcomeIsRefused() throws {
        var game = try Self.game()
        #expect(
            refusal { try game.send(232, .home) }
                == "2PT Shot needs its outcome when Confirmed: fixtureActionSubTypeId 23201 Made or 23202 Missed.")
        let shot = UUID()
        try game.send(233, .home, actionId: shot, subType: Self.made3)
        #expect(
            refusal { try game.send(233, .home, sendType: .updated, actionId: shot) }
                == "3PT Shot needs its outcome when Updated: fixtureActionSubTypeId 23301 Made or 23302 Missed.")
        #expect(
            refusal { try game.send(231, .home, subType: Self.made2) }
                == "fixtureActionSubTypeId 23201 is not a sub type of Free Throw.")
        #expect(
            refusal { try game.send(213, .home) } == "Free Throws Awarded needs metadata.count, an integer from 1 to 3."
        )
        #expect(game.matchScore == (3, 0), "refusals change nothing")
    }

    @Test func theClockCountsDownFromEachPeriodsLengthAndStopsAtZero() throws {
        var game = try Self.game()
        let early = try game.send(202, .home, after: 16)
        #expect(early.action.clockTime.description == "09:44", "an action without clockTime gets the computed value")
        let timeout = try game.send(52, .away, after: 44)
        #expect(timeout.summary.currentClockTime.description == "09:00")
        #expect(timeout.summary.clockRunning == false, "a timeout stops the clock")
        let stopped = try game.send(63, after: 120)
        #expect(stopped.summary.currentClockTime.description == "09:00", "a stopped clock does not move")
        try game.send(8)
        let buzzer = try game.send(203, .home, after: 20 * 60)
        #expect(buzzer.summary.currentClockTime.description == "00:00", "the clock stops at 00:00")
        #expect(buzzer.summary.clockRunning == false)
        try game.send(7)
        let second = try game.send(6)
        #expect(second.summary.currentClockTime.description == "10:00")
        let adjusted = try game.send(10, metadata: ["clockTime": "07:30"])
        #expect(adjusted.summary.currentClockTime.description == "07:30")
    }

    @Test func aTiedGameGoesToAsManyOvertimesAsItNeeds() throws {
        var game = try Self.game()
        for _ in 2...4 { try Self.nextPeriod(&game) }
        #expect(game.summary.periods.map(\.label) == ["1st quarter", "2nd quarter", "3rd quarter", "4th quarter"])
        try game.send(7)
        #expect(
            refusal { try game.send(5) }
                == "End Fixture is refused: the score is level at 0-0, and a basketball match cannot end tied (start an overtime)."
        )
        let overtime = try game.send(6)
        #expect(overtime.summary.periods.last?.label == "1st overtime")
        #expect(overtime.summary.periods.last?.type == .overtime)
        #expect(overtime.summary.currentClockTime.description == "05:00")
        try game.send(8)
        try game.send(232, .home, subType: Self.made2)
        try game.send(232, .away, subType: Self.made2)
        try Self.nextPeriod(&game)
        #expect(game.summary.periods.last?.label == "2nd overtime")
        try game.send(233, .away, subType: Self.made3)
        try game.send(7)
        #expect(
            refusal { try game.send(6) }
                == "Start Period is refused: an overtime is played only while the score is level, and it is 2-5 after the 2nd overtime."
        )
        let end = try game.send(5)
        #expect(end.summary.currentStatus == .completed)
        #expect((end.summary.homeTeamScore, end.summary.awayTeamScore) == (2, 5))
    }

    @Test func aGameCannotEndBeforeItsLastQuarterNorGoToOvertimeWhenDecided() throws {
        var game = try Self.game()
        try game.send(232, .home, subType: Self.made2)
        try game.send(7)
        #expect(refusal { try game.send(5) } == "End Fixture is refused: only 1 of 4 quarters have been played.")
        for _ in 2...3 {
            try game.send(6)
            try game.send(7)
        }
        try game.send(6)
        try game.send(7)
        #expect(
            refusal { try game.send(6) }
                == "Start Period is refused: an overtime is played only while the score is level, and it is 2-0 after the 4th quarter."
        )
        #expect(try game.send(5).summary.currentStatus == .completed)
    }

    @Test func rulesObjectIsCheckedAndFilledIn() throws {
        #expect(try BasketballRules(rulesObject: nil).rulesObject == BasketballRules().rulesObject)
        let halves = try BasketballRules(rulesObject: ["periods": 2, "periodLength": 20])
        #expect(halves.period(2, in: MatchState()).label == "2nd half")
        #expect(halves.period(3, in: MatchState()).label == "1st overtime")
        #expect(halves.clockStart(ofPeriod: 1)?.reading.description == "20:00")
        #expect(halves.clockStart(ofPeriod: 3)?.reading.description == "05:00")
        #expect(throws: RuleViolation("rules.overtimeLength must be an integer from 1 to 30.")) {
            try BasketballRules(rulesObject: ["overtimeLength": 0])
        }
    }
}
