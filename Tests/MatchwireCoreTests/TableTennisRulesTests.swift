import Foundation
import MatchwireCore
import Testing

@Suite struct TableTennisRulesTests {
    @Test func gameIsWonAtElevenWithTwoPointLead() throws {
        var match = try MatchScript()
        try match.startMatch()
        try match.points(String(repeating: "H", count: 10) + "AAAAAAAAA")
        #expect(match.matchScore == (0, 0))
        let winning = try match.point(.home)
        #expect(match.gameScore == (11, 9))
        #expect(winning.summary.homeTeamScore == 1, "the game is credited in the winning point's packet")
        #expect(winning.summary.periods[0].homeScore == 1)
        #expect(winning.summary.periods[0].homePeriodScore == 11)
    }

    @Test func deuceGameIsWonByTwoClearPoints() throws {
        var match = try MatchScript()
        try match.startMatch()
        try match.points("HAHAHAHAHAHAHAHAHAHA")
        #expect(match.gameScore == (10, 10))
        try match.point(.home)
        #expect(match.matchScore == (0, 0), "11-10 is not won")
        try match.point(.away)
        try match.point(.away)
        #expect(match.gameScore == (11, 12))
        #expect(match.matchScore == (0, 0), "12-11 with only a one-point lead is not won")
        try match.point(.away)
        #expect(match.gameScore == (11, 13))
        #expect(match.matchScore == (0, 1))
    }

    @Test func pointInAGameAlreadyWonIsRefused() throws {
        var match = try MatchScript()
        try match.startMatch()
        try match.homeWinsGame()
        let message = refusal { try match.point(.away) }
        #expect(message.contains("1st Set is already won 11-0"))
        #expect(match.gameScore == (11, 0))
    }

    @Test func endPeriodIsRefusedBeforeTheGameIsWon() throws {
        var match = try MatchScript()
        try match.startMatch()
        try match.points("HHHHHHHHHH")
        let message = refusal { try match.send(7) }
        #expect(message.contains("not won at 10-0"))
    }

    @Test func matchIsWonAtThreeGamesOfFive() throws {
        var match = try MatchScript()
        try match.startMatch()
        for game in 1...3 {
            try match.homeWinsGame()
            try match.send(7)
            if game < 3 { try match.send(6) }
        }
        #expect(match.matchScore == (3, 0))
        #expect(match.engine.state.periods.map(\.label) == ["1st Set", "2nd Set", "3rd Set"])
        #expect(match.engine.state.periods[2].homeScore == 3)
        #expect(refusal { try match.send(6) }.contains("already won 3-0"))
        try match.send(5)
        #expect(match.engine.state.status == .completed)
        #expect(match.engine.state.collectionStatus == .collectingPostMatch)
        #expect(!match.engine.isFinished)
        let last = try match.send(21)
        #expect(last.finished && last.summary.finished)
        #expect(last.summary.collectionStatus == .postMatchChecked)
        #expect(last.action.period == 0)
        #expect(refusal { try match.send(24) }.contains("finished"))
    }

    @Test func bestOfSevenNeedsFourGames() throws {
        var match = try MatchScript(bestOf: 7)
        try match.startMatch()
        for _ in 1...3 {
            try match.homeWinsGame()
            try match.nextGame()
        }
        #expect(match.matchScore == (3, 0))
        #expect(match.engine.state.openPeriod?.label == "4th Set")
    }

    @Test func endFixtureNeedsADecidedMatch() throws {
        var match = try MatchScript()
        try match.startMatch()
        try match.homeWinsGame()
        try match.send(7)
        #expect(refusal { try match.send(5) }.contains("no side has won 3 games"))
    }

    @Test func postMatchCheckNeedsEndFixture() throws {
        var match = try MatchScript()
        try match.startMatch()
        #expect(refusal { try match.send(21) }.contains("send End Fixture first"))
    }

    @Test func playBeforeStartFixtureIsRefusedButPreMatchActionsAreAllowed() throws {
        var match = try MatchScript()
        let lineups = try match.send(3, .home, metadata: .object(["teamId": .string(match.fixture.home.id.wire)]))
        #expect(lineups.action.period == 0)
        #expect(lineups.summary.currentStatus == .scheduled)
        #expect(refusal { try match.point(.home) }.contains("has not started"))
        try match.send(4)
        #expect(refusal { try match.point(.home) }.contains("no period is open"))
    }

    @Test func serveFollowsPointStartedAndSwapServe() throws {
        var match = try MatchScript()
        try match.startMatch()
        #expect(try match.send(1101, .away).summary.isHomeTeamInPossession == false)
        #expect(try match.send(1103, .home).summary.isHomeTeamInPossession == true)
        #expect(try match.send(1104).summary.isHomeTeamInPossession == true, "a let changes nothing")
    }

    @Test func penaltyPointCountsLikeAPoint() throws {
        var match = try MatchScript()
        try match.startMatch()
        try match.send(1106, .away)
        #expect(match.gameScore == (0, 1))
    }

    @Test func statusUpdatedSetsBothStatusesAndDroppedCollectionFinishes() throws {
        var match = try MatchScript()
        try match.startMatch()
        let suspended = try match.send(
            22, metadata: .object(["fixtureStatus": .number(6), "collectionStatus": .number(3)]))
        #expect(suspended.summary.currentStatus == .suspended)
        #expect(suspended.summary.collectionStatus == .collectionSuspended)
        let dropped = try match.send(
            22, metadata: .object(["fixtureStatus": .number(4), "collectionStatus": .number(4)]))
        #expect(dropped.finished)
        #expect(refusal { try match.send(22, metadata: .object(["fixtureStatus": .number(9)])) }.contains("finished"))
    }

    @Test func unknownActionsTeamsAndWrongPeriodsAreRefusedWithTheirReason() throws {
        var match = try MatchScript()
        try match.startMatch()
        #expect(
            refusal { try match.send(104, .home) }.contains("fixtureActionTypeId 104 is not an action of tabletennis"))
        #expect(refusal { try match.send(1102) }.contains("Point Scored needs a team"))
        #expect(refusal { try match.send(1104, .home) }.contains("Let does not belong to a team"))
        var stranger = ActionSubmission(actionId: UUID(), actionType: .id(1102), teamId: UUID())
        #expect(
            refusal { _ = try match.engine.ingest(stranger, receivedAt: match.clock, traceId: "") }.contains(
                "not a team of this fixture"))
        stranger.teamId = match.fixture.home.id
        stranger.period = 2
        #expect(
            refusal { _ = try match.engine.ingest(stranger, receivedAt: match.clock, traceId: "") }.contains(
                "belongs to period 1"))
    }

    @Test func rulesObjectIsCheckedAndDefaulted() throws {
        #expect(
            try TableTennisRules(rulesObject: nil).rulesObject
                == .object(["bestOf": .number(5), "pointsPerGame": .number(11)]))
        #expect(throws: RuleViolation("rules.bestOf must be 3, 5 or 7.")) {
            try TableTennisRules(rulesObject: .object(["bestOf": .number(4)]))
        }
    }
}
