import Foundation
import MatchwireClient
import MatchwireCore
import Testing

@Suite struct ScoreboardTests {
    /// The packets of a generated match, as the server would store them.
    static func packets(_ sport: Sport, seed: UInt64) throws -> (Fixture, [Packet]) {
        let fixture = Fixture(
            id: UUID(), sport: sport, startDate: Timestamp(millisecondsSince1970: 1_750_000_000_000),
            teams: [
                TeamRef(id: UUID(), name: "Northbridge", homeTeam: true),
                TeamRef(id: UUID(), name: "Eastport", homeTeam: false),
            ],
            rules: try sport.rules(nil).rulesObject)
        var engine = try FixtureEngine(fixture: fixture)
        var packets: [Packet] = []
        for action in try MatchSimulator.match(for: fixture, seed: seed, start: fixture.startDate) {
            if case .stored(let packet) = try engine.ingest(
                action.submission, receivedAt: action.timestamp, traceId: "t")
            {
                packets.append(packet)
            }
        }
        return (fixture, packets)
    }

    @Test(arguments: Sport.allCases)
    func finalLineShowsTheLastSummaryScoreAndEveryPeriod(_ sport: Sport) throws {
        let (fixture, packets) = try Self.packets(sport, seed: 7)
        var board = Scoreboard(fixture: fixture)
        for packet in packets { board.apply(packet) }
        let summary = try #require(packets.last?.summary)
        let periods = summary.periods.filter { $0.id > 0 }
        #expect(
            board.finalLine
                == "final: Northbridge \(summary.homeTeamScore)-\(summary.awayTeamScore) Eastport "
                + "(Completed; \(periods.map { "\($0.label) \($0.homePeriodScore)-\($0.awayPeriodScore)" }.joined(separator: ", ")))"
        )
    }

    @Test func aLineNamesTheSequenceNumberPeriodClockActionTeamAndScore() throws {
        let (fixture, packets) = try Self.packets(.soccer, seed: 3)
        let board = Scoreboard(fixture: fixture)
        let goal = try #require(packets.first { $0.action.actionType == "Goal" && $0.action.sendType == .confirmed })
        let line = board.line(for: goal)
        let summary = goal.summary
        let period = try #require(summary.periods.last { $0.id == summary.currentPeriod }).label
        #expect(line.hasPrefix("#\(goal.action.fixtureSeqNum) \(period) \(summary.currentClockTime) Goal"))
        #expect(line.contains(try #require(goal.action.team?.name)))
        #expect(line.hasSuffix("| Northbridge \(summary.homeTeamScore)-\(summary.awayTeamScore) Eastport"))
    }

    @Test func theBoardShowsServeOrPossessionAsTheSportSaysIt() throws {
        for sport in Sport.allCases {
            let (fixture, packets) = try Self.packets(sport, seed: 11)
            var board = Scoreboard(fixture: fixture)
            #expect(board.board.last == "waiting for the first packet")
            let middle = packets[packets.count / 2]
            board.apply(middle)
            let holder = middle.summary.isHomeTeamInPossession ? "Northbridge" : "Eastport"
            #expect(board.board[1].hasSuffix("\(sport.possessionWord): \(holder)"))
            #expect(board.board[0].hasPrefix("Northbridge \(middle.summary.homeTeamScore)-"))
        }
    }
}
