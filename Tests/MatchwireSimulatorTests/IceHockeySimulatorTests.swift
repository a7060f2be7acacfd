import Foundation
import MatchwireCore
import Testing

/// Generated ice hockey games (sports.md §8) played at the rates real ones show: about 60 shots on goal and 6 goals
/// a game, about a quarter of games level after regulation and then decided in overtime or a shootout.
@Suite struct IceHockeySimulatorTests {
    typealias Action = IceHockeyRules.Action
    typealias SubType = IceHockeyRules.SubType

    @Test func iceHockeyHasAboutSixGoalsAndSixtyShotsOnGoalAGameAndAQuarterLevelAfterRegulation() throws {
        let fixture = try SimulatorTests.fixture(.iceHockey)
        var goals: [Int] = []
        var shotsOnGoal: [Int] = []
        var levelAfterRegulation = 0
        var goalsBySubType: [Int: Int] = [:]
        var corrections = 0
        for seed in UInt64(1)...60 {
            let actions = try MatchSimulator.match(for: fixture, seed: seed, start: SimulatorTests.start)
            let final = try SimulatorTests.replay(actions, fixture: fixture)
            goals.append(final.homeScore + final.awayScore)
            shotsOnGoal.append(actions.filter { $0.submission.actionType == .id(Action.shotOnGoal) }.count)
            try #require(final.periods.count >= 3, "seed \(seed): three periods played")
            let regulation = final.periods[2]
            let level = regulation.homeScore == regulation.awayScore
            if level { levelAfterRegulation += 1 }
            #expect((final.periods.count > 3) == level, "seed \(seed): an overtime exactly when level after regulation")
            if level { #expect(final.periods[3].type == .overtime, "seed \(seed)") }
            #expect(final.homeScore != final.awayScore, "seed \(seed): decided, by overtime or shootout if need be")
            for action in actions where action.submission.actionType == .id(Action.goal) {
                switch action.submission.sendType {
                case .confirmed: goalsBySubType[action.submission.subTypeId ?? 0, default: 0] += 1
                case .updated: corrections += 1
                default: break
                }
            }
            let puckDrop = try #require(actions.first { $0.submission.actionType == .id(CommonAction.startFixture) })
            let minutes = puckDrop.timestamp.wholeSeconds(until: actions[actions.count - 1].timestamp) / 60
            #expect((105...200).contains(minutes), "seed \(seed): \(minutes) minutes from puck drop to the last action")
        }
        let averageGoals = Double(goals.reduce(0, +)) / Double(goals.count)
        #expect((4.5...7.5).contains(averageGoals), "\(averageGoals) goals per game")
        let averageShots = Double(shotsOnGoal.reduce(0, +)) / Double(shotsOnGoal.count)
        #expect((45.0...75.0).contains(averageShots), "\(averageShots) shots on goal per game")
        let levelShare = Double(levelAfterRegulation) / Double(goals.count)
        #expect((0.12...0.38).contains(levelShare), "\(levelShare) of games level after regulation")
        #expect(goalsBySubType[SubType.goalPowerPlay, default: 0] > 0, "power-play goals: \(goalsBySubType)")
        #expect(goalsBySubType[SubType.goalEmptyNet, default: 0] > 0, "empty-net goals: \(goalsBySubType)")
        #expect(
            goalsBySubType[SubType.goalEvenStrength, default: 0] > goals.reduce(0, +) / 2,
            "most goals are at even strength: \(goalsBySubType)")
        #expect(corrections > 0, "now and then a goal is credited to the wrong side and corrected")
    }

    @Test func aShootoutIsOverOnceOneSideCannotBeCaughtOrWinsARoundOfSuddenDeath() throws {
        // Tested through generated games under rules that make level games common: short periods.
        let fixture = try SimulatorTests.fixture(.iceHockey, rules: ["periodLength": 2, "overtimeLength": 1])
        var shootouts = 0
        for seed in UInt64(1)...40 {
            let actions = try MatchSimulator.match(for: fixture, seed: seed, start: SimulatorTests.start)
            let final = try SimulatorTests.replay(actions, fixture: fixture)
            guard let shootout = final.periods.first(where: { $0.type == .shootout }) else { continue }
            shootouts += 1
            let attempts = actions.filter {
                $0.submission.actionType == .id(Action.shootoutAttempt) && $0.submission.sendType == .confirmed
            }
            #expect(attempts.count >= 4, "seed \(seed): at least two rounds before one side cannot be caught")
            #expect(shootout.homePeriodScore != shootout.awayPeriodScore, "seed \(seed)")
            let homeTeam = fixture.home.id
            let sides = attempts.map { $0.submission.teamId == homeTeam }
            #expect(zip(sides, sides.dropFirst()).allSatisfy { $0 != $1 }, "seed \(seed): the sides alternate")
            #expect(
                abs(final.homeScore - final.awayScore) == 1, "seed \(seed): the shootout is worth one goal, from level")
        }
        #expect(shootouts > 0, "short periods leave many games level: some go to a shootout")
    }
}
