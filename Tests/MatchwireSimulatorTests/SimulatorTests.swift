import Foundation
import MatchwireCore
import Testing

/// Generated matches: accepted by the engine, decided under the rules, repeatable, and played at the rates
/// real matches show.
@Suite struct SimulatorTests {
    static let start = Timestamp(iso8601: "2026-03-01T18:00:00.000Z")!

    static func fixture(_ sport: Sport, rules: JSONValue? = nil) throws -> Fixture {
        Fixture(
            id: UUID(uuidString: "6f0e0c4e-9d3b-4f47-8a55-2d7a8c2b1e01")!, sport: sport, startDate: start,
            teams: [
                TeamRef(id: UUID(uuidString: "0a7d9f36-0c4e-4b6e-9a51-4c1f7e2d9b11")!, name: "Home", homeTeam: true),
                TeamRef(id: UUID(uuidString: "1b8e0a47-1d5f-4c7f-8b62-5d2a8f3eac22")!, name: "Away", homeTeam: false),
            ],
            rules: try sport.rules(rules).rulesObject)
    }

    /// Replays a generated match through a fresh engine, as the server will, and returns the final state.
    static func replay(_ actions: [SimulatedAction], fixture: Fixture) throws -> MatchState {
        var engine = try FixtureEngine(fixture: fixture)
        for action in actions {
            _ = try engine.ingest(action.submission, receivedAt: action.timestamp, traceId: "")
        }
        return engine.state
    }

    /// Every sport of the registry with its default rules, its demo rules and its short-match rules, and a
    /// best-of-seven table tennis match.
    static let variants: [(Sport, JSONValue?)] =
        Sport.allCases.flatMap { sport in
            [(sport, nil), (sport, sport.demoRules), (sport, sport.shortMatchRules)]
        } + [(.tableTennis, ["bestOf": 7])]

    @Test(arguments: 0..<variants.count)
    func everyGeneratedMatchIsAcceptedAndEndsDecidedAndFinished(variant: Int) throws {
        let (sport, rules) = Self.variants[variant]
        let fixture = try Self.fixture(sport, rules: rules)
        let ruleBook = try sport.rules(fixture.rules)
        for seed in UInt64(1)...40 {
            let actions = try MatchSimulator.match(for: fixture, seed: seed, start: Self.start)
            let final = try Self.replay(actions, fixture: fixture)
            #expect(final.finished, "seed \(seed)")
            #expect(final.status == .completed)
            #expect(throws: Never.self, "seed \(seed) ends decided") { try ruleBook.checkDecided(final) }
            let times = actions.map(\.timestamp)
            #expect(times == times.sorted(), "seed \(seed): timestamps never go back")
        }
    }

    @Test(arguments: Sport.allCases)
    func theSameSeedGivesTheSameMatchAndAnotherSeedAnother(sport: Sport) throws {
        let fixture = try Self.fixture(sport)
        let first = try MatchSimulator.match(for: fixture, seed: 7, start: Self.start)
        let again = try MatchSimulator.match(for: fixture, seed: 7, start: Self.start)
        let other = try MatchSimulator.match(for: fixture, seed: 8, start: Self.start)
        #expect(first == again)
        #expect(first != other)
    }

    @Test(arguments: Sport.allCases)
    func aMatchGeneratedLaterIsTheSameMatchMovedInTime(sport: Sport) throws {
        let fixture = try Self.fixture(sport)
        let later = try #require(Timestamp(iso8601: "2026-03-02T09:30:00.250Z"))
        let moved = try MatchSimulator.match(for: fixture, seed: 3, start: Self.start)
            .map { $0.shifted(by: later.microseconds - Self.start.microseconds) }
        #expect(try MatchSimulator.match(for: fixture, seed: 3, start: later) == moved)
    }

    @Test func tableTennisGamesAndMatchesLastAsLongAsRealOnes() throws {
        let fixture = try Self.fixture(.tableTennis)
        var pointsPerGame: [Int] = []
        for seed in UInt64(1)...40 {
            let actions = try MatchSimulator.match(for: fixture, seed: seed, start: Self.start)
            let final = try Self.replay(actions, fixture: fixture)
            pointsPerGame += final.periods.map { $0.homePeriodScore + $0.awayPeriodScore }
            let minutes = actions[0].timestamp.wholeSeconds(until: actions[actions.count - 1].timestamp) / 60
            #expect((15...120).contains(minutes), "seed \(seed): \(minutes) minutes from first to last action")
        }
        let average = Double(pointsPerGame.reduce(0, +)) / Double(pointsPerGame.count)
        #expect((17.0...22.0).contains(average), "\(average) points per game")
        #expect(pointsPerGame.contains { $0 > 22 }, "some games go to deuce")
    }

    @Test func soccerHasAboutTwoToThreeGoalsAMatch() throws {
        let fixture = try Self.fixture(.soccer)
        var goals: [Int] = []
        for seed in UInt64(1)...60 {
            let actions = try MatchSimulator.match(for: fixture, seed: seed, start: Self.start)
            let final = try Self.replay(actions, fixture: fixture)
            goals.append(final.homeScore + final.awayScore)
            let kickOff = try #require(actions.first { $0.submission.actionType == .id(4) }).timestamp
            let minutes = kickOff.wholeSeconds(until: actions[actions.count - 1].timestamp) / 60
            #expect((105...140).contains(minutes), "seed \(seed): \(minutes) minutes from kick-off to the last action")
        }
        let average = Double(goals.reduce(0, +)) / Double(goals.count)
        #expect((1.8...3.6).contains(average), "\(average) goals per match")
        #expect(goals.contains(0), "some matches end goalless")
        #expect((goals.max() ?? 0) <= 10)
    }

    @Test func basketballHasAboutAHundredAndFiftyPointsAGame() throws {
        let fixture = try Self.fixture(.basketball)
        var points: [Int] = []
        for seed in UInt64(1)...40 {
            let actions = try MatchSimulator.match(for: fixture, seed: seed, start: Self.start)
            let final = try Self.replay(actions, fixture: fixture)
            points.append(final.homeScore + final.awayScore)
        }
        let average = Double(points.reduce(0, +)) / Double(points.count)
        #expect((130.0...185.0).contains(average), "\(average) points per game")
        #expect(points.allSatisfy { (90...260).contains($0) }, "\(points)")
    }

    @Test func volleyballHasAboutFortyFivePointsASetAndFourSetMatchesMostOften() throws {
        let fixture = try Self.fixture(.volleyball)
        var pointsPerSet: [Int] = []
        var matchesBySets: [Int: Int] = [:]
        for seed in UInt64(1)...60 {
            let actions = try MatchSimulator.match(for: fixture, seed: seed, start: Self.start)
            let final = try Self.replay(actions, fixture: fixture)
            matchesBySets[final.periods.count, default: 0] += 1
            // The deciding set is played to 15: only the others count towards the points of a set.
            pointsPerSet += final.periods.prefix(4).map { $0.homePeriodScore + $0.awayPeriodScore }
            let minutes = actions[0].timestamp.wholeSeconds(until: actions[actions.count - 1].timestamp) / 60
            #expect((60...200).contains(minutes), "seed \(seed): \(minutes) minutes from first to last action")
        }
        let average = Double(pointsPerSet.reduce(0, +)) / Double(pointsPerSet.count)
        #expect((42.0...48.0).contains(average), "\(average) points per set")
        let four = matchesBySets[4, default: 0]
        #expect(four >= matchesBySets[3, default: 0] && four >= matchesBySets[5, default: 0], "\(matchesBySets)")
        #expect(pointsPerSet.contains { $0 > 50 }, "some sets go past 25-24")
    }

    @Test func scoutsUsePendingThenConfirmedAndCorrectNowAndThen() throws {
        var pending = 0
        var corrections = 0
        for sport in Sport.allCases {
            let fixture = try Self.fixture(sport)
            for seed in UInt64(1)...20 {
                for action in try MatchSimulator.match(for: fixture, seed: seed, start: Self.start) {
                    if action.submission.sendType == .pending { pending += 1 }
                    if [.updated, .deleted].contains(action.submission.sendType) { corrections += 1 }
                }
            }
        }
        #expect(pending > 100)
        #expect(corrections > 5)
    }
}
