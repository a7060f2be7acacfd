import Foundation
import MatchwireCore
import Testing

/// Ice hockey (sports.md §8), written as games: three periods, a sudden-death overtime and a shootout while level.
@Suite struct IceHockeyRulesTests {
    typealias Action = IceHockeyRules.Action
    typealias SubType = IceHockeyRules.SubType

    /// Puck drop: the 1st period started and its clock running.
    static func game(_ rules: IceHockeyRules = IceHockeyRules()) throws -> MatchScript {
        var game = try MatchScript(sport: .iceHockey, rules: rules.rulesObject)
        try game.send(CommonAction.startFixture)
        try game.send(CommonAction.startPeriod)
        try game.send(CommonAction.startClock)
        return game
    }

    /// Ends the open period and starts the next with its clock running.
    static func nextPeriod(_ game: inout MatchScript) throws {
        try game.send(CommonAction.endPeriod)
        try game.send(CommonAction.startPeriod)
        try game.send(CommonAction.startClock)
    }

    /// Goals in the open period, in order: "HHA" is home, home, away.
    static func goals(_ sides: String, in game: inout MatchScript) throws {
        for letter in sides {
            try game.send(Action.goal, letter == "H" ? .home : .away, subType: SubType.goalEvenStrength)
        }
    }

    /// Regulation played to 2-2 (1-0 in the 1st period, 0-1 in the 2nd, 1-1 in the 3rd), the 3rd period ended.
    static func tiedAfterRegulation(_ rules: IceHockeyRules = IceHockeyRules()) throws -> MatchScript {
        var game = try Self.game(rules)
        try Self.goals("H", in: &game)
        try Self.nextPeriod(&game)
        try Self.goals("A", in: &game)
        try Self.nextPeriod(&game)
        try Self.goals("HA", in: &game)
        try game.send(CommonAction.endPeriod)
        return game
    }

    @Test func aGoalCountsInItsPeriodAndTheMatchAndAFaceoffGivesPossession() throws {
        var game = try Self.game()
        #expect(try game.send(Action.faceoffWon, .away).summary.isHomeTeamInPossession == false)
        #expect(try game.send(Action.faceoffWon, .home).summary.isHomeTeamInPossession == true)
        let penalty = try game.send(Action.penalty, .away, subType: SubType.penaltyMinor, metadata: ["minutes": 2])
        #expect(penalty.action.subType?.name == "Minor")
        #expect(
            refusal { try game.send(Action.penalty, .home, subType: SubType.penaltyMajor, metadata: ["minutes": 0]) }
                == "Penalty's metadata.minutes, when given, must be an integer from 2 to 25.")
        try game.send(Action.penalty, .home, subType: SubType.penaltyMisconduct)
        let powerPlay = try game.send(Action.goal, .home, subType: SubType.goalPowerPlay)
        #expect(powerPlay.action.subType?.name == "Power Play")
        #expect((powerPlay.summary.homeTeamScore, powerPlay.summary.awayTeamScore) == (1, 0))
        #expect(powerPlay.summary.periods[0].homePeriodScore == 1)
        try Self.nextPeriod(&game)
        let second = try game.send(Action.goal, .away)
        #expect(second.action.subType == nil, "a goal's sub type is optional")
        #expect((second.summary.periods[1].homePeriodScore, second.summary.periods[1].awayPeriodScore) == (0, 1))
        #expect(game.matchScore == (1, 1))
        for type in [
            Action.shotOnGoal, Action.shotMissed, Action.shotBlocked, Action.icing, Action.offside,
            Action.goaliePulled, Action.goalieReturned,
        ] {
            try game.send(type, .home)
        }
        #expect(game.matchScore == (1, 1), "only goals score")
        #expect(
            refusal { try game.send(Action.goal) } == "Goal needs a team: give team.id of the home or away team.")
    }

    @Test func aGoalCreditedToTheWrongSideIsCorrectedWithUpdated() throws {
        var game = try Self.game()
        let goal = UUID()
        try game.send(Action.goal, .home, actionId: goal, subType: SubType.goalEvenStrength)
        #expect(game.matchScore == (1, 0))
        let corrected = try game.send(
            Action.goal, .away, sendType: .updated, actionId: goal, subType: SubType.goalEvenStrength)
        #expect((corrected.summary.homeTeamScore, corrected.summary.awayTeamScore) == (0, 1))
        #expect((corrected.summary.periods[0].homePeriodScore, corrected.summary.periods[0].awayPeriodScore) == (0, 1))
    }

    @Test func theClockCountsDownFromTwentyMinutesAndFromFiveInOvertime() throws {
        var game = try MatchScript(sport: .iceHockey, rules: IceHockeyRules().rulesObject)
        let colours = try game.send(
            CommonAction.teamColours, metadata: ["homeTeamColour": "0, 38, 255", "awayTeamColour": "255, 242, 0"])
        #expect(colours.summary.currentClockTime.description == "20:00", "before the puck drop: the 1st period's")
        try game.send(CommonAction.startFixture)
        let first = try game.send(CommonAction.startPeriod)
        #expect(first.summary.currentClockTime.description == "20:00")
        #expect(first.summary.clockRunning == false)
        try game.send(CommonAction.startClock)
        let shot = try game.send(Action.shotOnGoal, .home, after: 75)
        #expect(shot.action.clockTime.description == "18:45", "an action without clockTime gets the computed value")
        let whistle = try game.send(CommonAction.stopClock, after: 15)
        #expect(whistle.summary.currentClockTime.description == "18:30")
        #expect(whistle.summary.clockRunning == false)
        let icing = try game.send(Action.icing, .away, after: 40)
        #expect(icing.summary.currentClockTime.description == "18:30", "a stopped clock does not move")
        try game.send(CommonAction.startClock)
        let buzzer = try game.send(Action.shotMissed, .away, after: 20 * 60)
        #expect(buzzer.summary.currentClockTime.description == "00:00", "the clock stops at 00:00")
        #expect(buzzer.summary.clockRunning == false)
        try game.send(CommonAction.endPeriod)
        let second = try game.send(CommonAction.startPeriod)
        #expect(second.summary.currentClockTime.description == "20:00")
        try game.send(CommonAction.endPeriod)
        try game.send(CommonAction.startPeriod)
        try game.send(CommonAction.endPeriod)
        let overtime = try game.send(CommonAction.startPeriod)
        #expect(overtime.summary.periods.last?.type == .overtime)
        #expect(overtime.summary.currentClockTime.description == "05:00")
        try game.send(CommonAction.startClock)
        let faceoff = try game.send(Action.faceoffWon, .home, after: 60)
        #expect(faceoff.action.clockTime.description == "04:00")
        let adjusted = try game.send(CommonAction.adjustClock, metadata: ["clockTime": "02:30"])
        #expect(adjusted.summary.currentClockTime.description == "02:30")
    }

    @Test func aGameTiedAfterRegulationIsDecidedByTheFirstGoalOfOvertime() throws {
        var game = try Self.tiedAfterRegulation()
        #expect(game.summary.periods.map(\.label) == ["1st period", "2nd period", "3rd period"])
        #expect(game.summary.periods.allSatisfy { $0.type == .regular })
        #expect(game.matchScore == (2, 2))
        #expect(
            refusal { try game.send(CommonAction.endFixture) }
                == "End Fixture is refused: the score is level at 2-2, and the rules call for an overtime.")
        let overtime = try game.send(CommonAction.startPeriod)
        #expect(overtime.action.period == 4)
        #expect(overtime.summary.periods.last?.label == "overtime")
        #expect(overtime.summary.periods.last?.type == .overtime)
        try game.send(CommonAction.startClock)
        let winner = try game.send(Action.goal, .away, subType: SubType.goalEvenStrength, after: 95)
        #expect(winner.action.clockTime.description == "03:25")
        #expect((winner.summary.homeTeamScore, winner.summary.awayTeamScore) == (2, 3))
        #expect((winner.summary.periods[3].homePeriodScore, winner.summary.periods[3].awayPeriodScore) == (0, 1))
        #expect(
            refusal { try game.send(Action.goal, .home) }
                == "Goal is refused: the overtime is sudden death and its goal is already scored (2-3); "
                + "End Period is next.")
        #expect(game.matchScore == (2, 3), "the refused goal changed nothing")
        try game.send(CommonAction.endPeriod)
        #expect(
            refusal { try game.send(CommonAction.startPeriod) }
                == "Start Period is refused: the shootout is played only while the score is level, "
                + "and it is 2-3 after the overtime.")
        let end = try game.send(CommonAction.endFixture)
        #expect(end.summary.currentStatus == .completed)
        #expect((end.summary.homeTeamScore, end.summary.awayTeamScore) == (2, 3))
    }

    @Test func anOvertimeGoalDisallowedAfterReviewReopensTheSuddenDeath() throws {
        var game = try Self.tiedAfterRegulation()
        try game.send(CommonAction.startPeriod)
        let goal = UUID()
        try game.send(Action.goal, .home, actionId: goal)
        #expect(
            refusal { try game.send(Action.goal, .away) }.hasPrefix("Goal is refused: the overtime is sudden death"))
        try game.send(Action.goal, .home, sendType: .deleted, actionId: goal)
        #expect(game.matchScore == (2, 2))
        let counted = try game.send(Action.goal, .away)
        #expect((counted.summary.homeTeamScore, counted.summary.awayTeamScore) == (2, 3))
    }

    @Test func aGameStillTiedAfterOvertimeIsDecidedByAShootoutWorthOneGoal() throws {
        var game = try Self.tiedAfterRegulation()
        try game.send(CommonAction.startPeriod)
        try game.send(CommonAction.startClock)
        try game.send(Action.shotOnGoal, .home, after: 5 * 60)
        try game.send(CommonAction.endPeriod)
        let shootout = try game.send(CommonAction.startPeriod)
        #expect(shootout.action.period == 5)
        #expect(shootout.summary.periods.last?.label == "shootout")
        #expect(shootout.summary.periods.last?.type == .shootout)
        #expect(shootout.summary.currentClockTime.description == "00:00")
        let noClock = try game.send(CommonAction.startClock, after: 30)
        #expect(noClock.summary.currentClockTime.description == "00:00", "the shootout has no clock")
        #expect(noClock.summary.clockRunning == false)
        #expect(
            refusal { try game.send(Action.goal, .home) }
                == "Goal is refused in the shootout: send Shootout Attempt (311) instead.")

        let scored = SubType.shootoutAttemptScored
        let missed = SubType.shootoutAttemptMissed
        let attempts: [(Side, Int)] = [(.home, scored), (.away, missed), (.home, missed), (.away, scored)]
        for (side, outcome) in attempts {
            try game.send(Action.shootoutAttempt, side, subType: outcome)
        }
        try game.send(Action.shootoutAttempt, .home, subType: missed)
        let level = try game.send(Action.shootoutAttempt, .away, subType: missed)
        let period = try #require(level.summary.periods.last)
        #expect((period.homePeriodScore, period.awayPeriodScore) == (1, 1))
        #expect(game.matchScore == (2, 2), "shootout attempts never change the match score")
        #expect(
            refusal { try game.send(CommonAction.endPeriod) }
                == "End Period is refused: the shootout is level at 1-1, and it ends only with one side ahead.")

        let decisive = UUID()
        try game.send(Action.shootoutAttempt, .home, actionId: decisive, subType: scored)
        try game.send(Action.shootoutAttempt, .away, subType: missed)
        #expect(game.matchScore == (2, 2), "still 2-2 while the shootout is open")
        let end = try game.send(CommonAction.endPeriod)
        #expect(
            (end.summary.homeTeamScore, end.summary.awayTeamScore) == (3, 2),
            "the shootout's winner gets the deciding goal when it ends")
        let ended = end.summary.periods[4]
        #expect((ended.homePeriodScore, ended.awayPeriodScore) == (2, 1), "the period score keeps the attempts")
        #expect((ended.homeScore, ended.awayScore) == (3, 2))
        #expect(ended.end != nil)

        #expect(
            refusal { try game.send(Action.shootoutAttempt, .home, sendType: .deleted, actionId: decisive) }
                .hasSuffix(
                    "would break the rules: End Period is refused: the shootout is level at 1-1, "
                        + "and it ends only with one side ahead."),
            "deleting the decisive attempt would leave a level shootout ended")
        #expect(game.matchScore == (3, 2))
        #expect(
            refusal { try game.send(CommonAction.startPeriod) }
                == "Start Period is refused: the rules (overtime true, shootout true) have no period 6.")
        let final = try game.send(CommonAction.endFixture)
        #expect(final.summary.currentStatus == .completed)
        #expect(
            final.summary.periods.map(\.label) == ["1st period", "2nd period", "3rd period", "overtime", "shootout"])
    }

    @Test func aShootoutAttemptCountsOnlyInTheShootoutAndNeedsItsOutcome() throws {
        var game = try Self.game()
        #expect(
            refusal { try game.send(Action.shootoutAttempt, .home, subType: SubType.shootoutAttemptScored) }
                == "Shootout Attempt is refused: the 1st period is not the shootout.")
        var tied = try Self.tiedAfterRegulation()
        try tied.send(CommonAction.startPeriod)
        #expect(
            refusal { try tied.send(Action.shootoutAttempt, .away, subType: SubType.shootoutAttemptScored) }
                == "Shootout Attempt is refused: the overtime is not the shootout.")
        try tied.send(CommonAction.endPeriod)
        try tied.send(CommonAction.startPeriod)
        #expect(
            refusal { try tied.send(Action.shootoutAttempt, .home) }
                == "Shootout Attempt needs its outcome when Confirmed: "
                + "fixtureActionSubTypeId 31101 Scored or 31102 Missed.")
        let attempt = UUID()
        let skating = try tied.send(Action.shootoutAttempt, .home, sendType: .pending, actionId: attempt)
        #expect(skating.summary.periods[4].homePeriodScore == 0, "a Pending attempt may wait for its outcome")
        let scored = try tied.send(
            Action.shootoutAttempt, .home, actionId: attempt, subType: SubType.shootoutAttemptScored)
        #expect(scored.summary.periods[4].homePeriodScore == 1)
        #expect(
            refusal { try tied.send(Action.shootoutAttempt, .home, sendType: .updated, actionId: attempt) }
                == "Shootout Attempt needs its outcome when Updated: "
                + "fixtureActionSubTypeId 31101 Scored or 31102 Missed.")
        #expect(tied.matchScore == (2, 2))
    }

    @Test func noOvertimeOnceTheScoreIsNotLevelAndNoEndBeforeTheThirdPeriod() throws {
        var game = try Self.game()
        try Self.goals("H", in: &game)
        try game.send(CommonAction.endPeriod)
        #expect(
            refusal { try game.send(CommonAction.endFixture) }
                == "End Fixture is refused: only 1 of 3 periods have been played.")
        for _ in 2...3 {
            try game.send(CommonAction.startPeriod)
            try game.send(CommonAction.endPeriod)
        }
        #expect(
            refusal { try game.send(CommonAction.startPeriod) }
                == "Start Period is refused: the overtime is played only while the score is level, "
                + "and it is 1-0 after the 3rd period.")
        let end = try game.send(CommonAction.endFixture)
        #expect(end.summary.currentStatus == .completed)
        #expect(end.summary.periods.count == 3)
    }

    @Test func withoutOvertimeAndShootoutALevelGameEndsADrawAfterTheThirdPeriod() throws {
        var game = try Self.tiedAfterRegulation(IceHockeyRules(overtime: false, shootout: false))
        #expect(
            refusal { try game.send(CommonAction.startPeriod) }
                == "Start Period is refused: the rules (overtime false, shootout false) have no period 4.")
        let draw = try game.send(CommonAction.endFixture)
        #expect(draw.summary.currentStatus == .completed)
        #expect((draw.summary.homeTeamScore, draw.summary.awayTeamScore) == (2, 2))
    }

    @Test func withoutOvertimeALevelGameGoesStraightToTheShootout() throws {
        var game = try Self.tiedAfterRegulation(IceHockeyRules(overtime: false))
        #expect(
            refusal { try game.send(CommonAction.endFixture) }
                == "End Fixture is refused: the score is level at 2-2, and the rules call for a shootout.")
        let shootout = try game.send(CommonAction.startPeriod)
        #expect(shootout.action.period == 4)
        #expect(shootout.summary.periods.last?.label == "shootout")
        #expect(shootout.summary.periods.last?.type == .shootout)
        #expect(shootout.summary.currentClockTime.description == "00:00")
        try game.send(Action.shootoutAttempt, .away, subType: SubType.shootoutAttemptScored)
        try game.send(Action.shootoutAttempt, .home, subType: SubType.shootoutAttemptMissed)
        let end = try game.send(CommonAction.endPeriod)
        #expect((end.summary.homeTeamScore, end.summary.awayTeamScore) == (2, 3))
        #expect(try game.send(CommonAction.endFixture).summary.currentStatus == .completed)
    }

    /// An assumption beyond sports.md §8, which says only that a draw needs rules with neither: with an overtime
    /// and no shootout, nothing is left to decide a level game after the overtime, so it ends a draw.
    @Test func withOvertimeButNoShootoutALevelOvertimeEndsADraw() throws {
        var game = try Self.tiedAfterRegulation(IceHockeyRules(shootout: false))
        #expect(
            refusal { try game.send(CommonAction.endFixture) }
                == "End Fixture is refused: the score is level at 2-2, and the rules call for an overtime.")
        try game.send(CommonAction.startPeriod)
        try game.send(CommonAction.endPeriod)
        #expect(
            refusal { try game.send(CommonAction.startPeriod) }
                == "Start Period is refused: the rules (overtime true, shootout false) have no period 5.")
        #expect(try game.send(CommonAction.endFixture).summary.currentStatus == .completed)
    }

    @Test func theRulesObjectIsCheckedWithSentencesAndFilledIn() throws {
        let defaults: JSONValue = ["periodLength": 20, "overtime": true, "overtimeLength": 5, "shootout": true]
        #expect(try IceHockeyRules(rulesObject: nil).rulesObject == defaults)
        #expect(
            refusal { _ = try IceHockeyRules(rulesObject: ["periodLength": 0]) }
                == "rules.periodLength must be an integer from 1 to 60.")
        #expect(
            refusal { _ = try IceHockeyRules(rulesObject: ["periodLength": 61]) }
                == "rules.periodLength must be an integer from 1 to 60.")
        #expect(
            refusal { _ = try IceHockeyRules(rulesObject: ["overtimeLength": 21]) }
                == "rules.overtimeLength must be an integer from 1 to 20.")
        #expect(
            refusal { _ = try IceHockeyRules(rulesObject: ["overtime": "yes"]) }
                == "rules.overtime must be true or false.")
        #expect(
            refusal { _ = try IceHockeyRules(rulesObject: ["shootout": 1]) } == "rules.shootout must be true or false.")
        let short = try IceHockeyRules(rulesObject: ["periodLength": 15, "overtimeLength": 10, "overtime": true])
        #expect(short.clockStart(ofPeriod: 1)?.reading.description == "15:00")
        #expect(short.clockStart(ofPeriod: 4)?.reading.description == "10:00")
        #expect(short.clockStart(ofPeriod: 5)?.reading == nil, "the shootout has no clock")
        #expect(short.clockStart(ofPeriod: 1)?.countsDown == true)
    }
}
