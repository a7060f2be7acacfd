import Foundation
import MatchwireCore
import Testing

/// Volleyball as its rule book says (sports.md §7): sets to 25 with a two-point lead and no cap, the deciding
/// set to 15, the rally winner serving next.
@Suite struct VolleyballRulesTests {
    typealias Action = VolleyballRules.Action

    static func match(_ rules: VolleyballRules = VolleyballRules()) throws -> MatchScript {
        var match = try MatchScript(sport: .volleyball, rules: rules.rulesObject)
        try match.send(CommonAction.startFixture)
        try match.send(CommonAction.startPeriod)
        return match
    }

    /// Points in order: "HHA" is home, home, away.
    static func points(_ sides: String, in match: inout MatchScript) throws {
        for letter in sides { try match.send(Action.pointScored, letter == "H" ? .home : .away) }
    }

    /// Home wins a set 25-0, and the next one starts unless the match is over.
    static func homeWinsSet(_ match: inout MatchScript, target: Int = 25) throws {
        try points(String(repeating: "H", count: target), in: &match)
        try match.send(CommonAction.endPeriod)
    }

    @Test func aSetIsWon31To29AndCreditedInTheWinningPacket() throws {
        var match = try Self.match()
        try Self.points(String(repeating: "HA", count: 29), in: &match)
        #expect(match.gameScore == (29, 29), "no cap: level at 29 the set goes on")
        try match.send(Action.pointScored, .home)
        #expect(match.matchScore == (0, 0), "30-29 is a one-point lead")
        let winning = try match.send(Action.pointScored, .home)
        #expect(match.gameScore == (31, 29))
        #expect(winning.summary.homeTeamScore == 1, "the set is credited in the winning point's packet")
        #expect(winning.summary.periods[0].label == "1st Set")
    }

    @Test func aPointAfterTheSetIsWonIsRefusedWithASentence() throws {
        var match = try Self.match()
        try Self.points(String(repeating: "H", count: 25), in: &match)
        let message = refusal { try match.send(Action.pointScored, .away) }
        #expect(
            message
                == "Point Scored is refused: the 1st Set is already won 25-0 by the home side "
                + "(send End Period, then Start Period for the next set).")
        #expect(match.gameScore == (25, 0), "nothing changed")
        #expect(refusal { try match.send(Action.penaltyPoint, .away) }.contains("1st Set is already won"))
    }

    @Test func theFifthSetIsPlayedToFifteen() throws {
        var match = try Self.match()
        for set in 1...4 {
            if set.isMultiple(of: 2) {
                try Self.homeWinsSet(&match)
            } else {
                try Self.points(String(repeating: "A", count: 25), in: &match)
                try match.send(CommonAction.endPeriod)
            }
            try match.send(CommonAction.startPeriod)
        }
        #expect(match.matchScore == (2, 2))
        try Self.points(String(repeating: "H", count: 14) + String(repeating: "A", count: 14), in: &match)
        #expect(match.matchScore == (2, 2), "14-14 in the fifth: a two-point lead is still needed")
        try Self.points("HH", in: &match)
        #expect(match.gameScore == (16, 14))
        #expect(match.matchScore == (3, 2))
        try match.send(CommonAction.endPeriod)
        #expect(match.engine.state.periods.map(\.label) == ["1st Set", "2nd Set", "3rd Set", "4th Set", "5th Set"])
        #expect(refusal { try match.send(CommonAction.startPeriod) }.contains("already won 3-2 in sets"))
        try match.send(CommonAction.endFixture)
    }

    @Test func endPeriodAndEndFixtureWaitForAWinner() throws {
        var match = try Self.match()
        try Self.points(String(repeating: "H", count: 24), in: &match)
        #expect(refusal { try match.send(CommonAction.endPeriod) }.contains("not won at 24-0 (a set is won at 25"))
        try Self.points("H", in: &match)
        try match.send(CommonAction.endPeriod)
        #expect(refusal { try match.send(CommonAction.endFixture) }.contains("no side has won 3 sets (sets 1-0)"))
    }

    @Test func theRallyWinnerServesNext() throws {
        var match = try Self.match()
        try match.send(Action.serve, .away)
        #expect(match.engine.state.homeInPossession == false)
        try match.send(Action.pointScored, .home, subType: VolleyballRules.SubType.pointScoredBlock)
        #expect(match.engine.state.homeInPossession, "home won the rally: home serves")
        try match.send(Action.penaltyPoint, .away)
        #expect(match.engine.state.homeInPossession == false)
    }

    @Test func theRulesObjectIsCheckedWithSentences() {
        #expect(refusal { _ = try VolleyballRules(rulesObject: ["bestOf": 4]) } == "rules.bestOf must be 3 or 5.")
        #expect(
            refusal { _ = try VolleyballRules(rulesObject: ["pointsPerSet": 51]) }
                == "rules.pointsPerSet must be an integer from 5 to 50.")
        #expect(
            refusal { _ = try VolleyballRules(rulesObject: ["pointsInDecidingSet": 4]) }
                == "rules.pointsInDecidingSet must be an integer from 5 to 50.")
        #expect(throws: Never.self) { try VolleyballRules(rulesObject: ["bestOf": 3, "pointsPerSet": 21]) }
    }
}
