import Foundation
import MatchwireCore
import Testing

/// Soccer (sports.md §5), written as matches.
@Suite struct SoccerRulesTests {
    static let cup = SoccerRules(extraTime: true, penaltyShootout: true).rulesObject

    static func match(_ rules: JSONValue = SoccerRules().rulesObject) throws -> MatchScript {
        var match = try MatchScript(sport: .soccer, rules: rules)
        try match.send(4)
        try match.send(6)
        try match.send(8)
        return match
    }

    @Test func goalCountsInItsHalfAndTheMatch() throws {
        var match = try Self.match()
        let goal = try match.send(104, .home, subType: 10402)
        #expect(goal.summary.homeTeamScore == 1)
        #expect(goal.summary.periods[0].homePeriodScore == 1)
        #expect(goal.action.subType?.name == "Header")
    }

    @Test func ownGoalIsCreditedToTheSideNamed() throws {
        var match = try Self.match()
        let ownGoal = try match.send(104, .away, subType: 10404)
        #expect((ownGoal.summary.homeTeamScore, ownGoal.summary.awayTeamScore) == (0, 1))
    }

    @Test func goalDisallowedAfterVideoReviewNoLongerCounts() throws {
        var match = try Self.match()
        let goalId = UUID()
        try match.send(104, .home, actionId: goalId, subType: 10401)
        #expect(match.matchScore == (1, 0))
        try match.send(51)
        let deleted = try match.send(104, .home, sendType: .deleted, actionId: goalId, subType: 10401)
        #expect(deleted.summary.homeTeamScore == 0)
        let verdict = try match.send(61, subType: 6101, related: [goalId])
        #expect(verdict.summary.homeTeamScore == 0)
        #expect(verdict.action.relatedActionIds == [goalId])
    }

    @Test func clockCountsUpFromEachHalfsNominalStart() throws {
        var match = try Self.match()
        let early = try match.send(109, .home, after: 90)
        #expect(early.summary.currentClockTime.description == "01:30")
        try match.send(7)
        try match.send(6)
        let secondHalf = try match.send(8)
        #expect(secondHalf.summary.currentClockTime.description == "45:00")
        let late = try match.send(110, .away, after: 2 * 60 * 60)
        #expect(late.summary.currentClockTime.description == "165:00", "the clock runs past the nominal end")
    }

    @Test func levelCupTieGoesToExtraTimeThenAShootoutWhichDecidesIt() throws {
        var match = try Self.match(Self.cup)
        try match.send(104, .home)
        try match.send(7)
        try match.send(6)
        try match.send(104, .away)
        try match.send(7)
        #expect(
            refusal { try match.send(5) }
                == "End Fixture is refused: the match is level and the rules call for extra time.")
        let extraTime = try match.send(6)
        #expect(extraTime.summary.periods.last?.label == "1st half extra time")
        let clock = try match.send(8)
        #expect(clock.summary.currentClockTime.description == "90:00")
        try match.send(7)
        try match.send(6)
        #expect(try match.send(8).summary.currentClockTime.description == "105:00")
        try match.send(7)
        let shootout = try match.send(6)
        #expect(shootout.summary.periods.last?.label == "penalty shootout")
        #expect(shootout.summary.periods.last?.type == .shootout)
        #expect(shootout.summary.currentClockTime.description == "00:00")
        let noClock = try match.send(8, after: 30)
        #expect(noClock.summary.currentClockTime.description == "00:00", "the shootout has no clock")
        #expect(noClock.summary.clockRunning == false)
        #expect(refusal { try match.send(104, .home) }.hasPrefix("Goal is refused in the penalty shootout"))
        try match.send(130, .home, subType: 13001)
        try match.send(130, .away, subType: 13002)
        try match.send(130, .home, subType: 13002)
        let kick = try match.send(130, .away, subType: 13001)
        #expect((kick.summary.periods.last?.homePeriodScore, kick.summary.periods.last?.awayPeriodScore) == (1, 1))
        #expect(match.matchScore == (1, 1), "shootout kicks never change the match score")
        #expect(refusal { try match.send(7) } == "End Period is refused: the penalty shootout is level at 1-1.")
        try match.send(130, .home, subType: 13001)
        try match.send(130, .away, subType: 13002)
        try match.send(7)
        let end = try match.send(5)
        #expect(end.summary.currentStatus == .completed)
        #expect(refusal { try match.send(6) } == "Start Period is refused: the fixture has ended.")
    }

    @Test func periodsBeyondTheRulesAreRefused() throws {
        var league = try Self.match()
        try league.send(7)
        try league.send(6)
        try league.send(7)
        #expect(
            refusal { try league.send(6) }
                == "Start Period is refused: the rules (extraTime false, penaltyShootout false) have no period 3.")
        let draw = try league.send(5)
        #expect(draw.summary.currentStatus == .completed, "a league match may end level")

        var cup = try Self.match(Self.cup)
        try cup.send(104, .home)
        try cup.send(7)
        try cup.send(6)
        try cup.send(7)
        #expect(
            refusal { try cup.send(6) } == "Start Period is refused: the match is not level after the 2nd half (1-0).")
    }

    @Test func shootoutKickOutsideTheShootoutOrWithoutOutcomeIsRefused() throws {
        var match = try Self.match(SoccerRules(penaltyShootout: true).rulesObject)
        #expect(
            refusal { try match.send(130, .home, subType: 13001) }
                == "Shootout Kick is refused: the 1st half is not a penalty shootout.")
        try match.send(7)
        try match.send(6)
        try match.send(7)
        let shootout = try match.send(6)
        #expect(shootout.action.period == 3, "without extra time the shootout is period 3")
        #expect(
            refusal { try match.send(130, .home) }
                == "Shootout Kick needs its outcome when Confirmed: fixtureActionSubTypeId 13001 Scored or 13002 Missed."
        )
    }

    @Test func possessionFollowsAttacksAndKickOff() throws {
        var match = try Self.match()
        #expect(try match.send(121, .away).summary.isHomeTeamInPossession == false)
        #expect(try match.send(103, .home).summary.isHomeTeamInPossession == true)
        #expect(try match.send(101, .away).summary.isHomeTeamInPossession == false)
    }
}
