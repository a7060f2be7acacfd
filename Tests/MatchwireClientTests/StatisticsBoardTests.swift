import Foundation
import MatchwireClient
import MatchwireCore
import Testing

/// What `tail --statistics` shows: a statistics packet read back from its JSON, as a table and as one line.
@Suite struct StatisticsBoardTests {
    static let fixture = Fixture(
        id: UUID(), sport: .soccer, startDate: Timestamp(millisecondsSince1970: 1_750_000_000_000),
        teams: [
            TeamRef(id: UUID(), name: "Northbridge", homeTeam: true),
            TeamRef(id: UUID(), name: "Eastport", homeTeam: false),
        ],
        rules: SoccerRules().rulesObject)

    /// Two headed goals and a yellow card for the home side, a penalty for the away side.
    static func snapshot(finished: Bool = false) throws -> StatisticsSnapshot {
        let statistics = FixtureStatistics(counting: [
            .init(side: .home, typeId: 104, subTypeId: 10402), .init(side: .home, typeId: 104, subTypeId: 10402),
            .init(side: .home, typeId: 107, subTypeId: nil), .init(side: .away, typeId: 104, subTypeId: 10403),
        ])
        let packet = StatisticsPacket(
            seqNum: 4, traceId: String(repeating: "a", count: 32), finished: finished, fixtureId: fixture.id,
            timestamp: fixture.startDate, fixtureSeqNum: 31, statistics: statistics)
        return try StatisticsSnapshot(json: JSONValue.parse(packet.jsonBytes(fixture: fixture)))
    }

    @Test func aPacketIsReadBackWithEveryTotalByTeamTypeAndSubType() throws {
        let snapshot = try Self.snapshot()
        #expect(snapshot.seqNum == 4 && snapshot.fixtureSeqNum == 31 && !snapshot.finished)
        #expect(snapshot.teams.map(\.name) == ["Northbridge", "Eastport"])
        #expect(snapshot.count(home: true, actionId: 104) == 2)
        #expect(snapshot.count(home: true, actionId: 104, subActionId: 10402) == 2)
        #expect(snapshot.count(home: false, actionId: 104, subActionId: 10403) == 1)
        #expect(snapshot.count(home: false, actionId: 107) == 0, "a type with no total is left out")
    }

    @Test func theLineAndTheTableShowHomeAgainstAwayForEveryTypeCounted() throws {
        var board = StatisticsBoard(fixture: Self.fixture)
        #expect(board.board.last == "waiting for the first statistics packet")
        let snapshot = try Self.snapshot()
        board.apply(snapshot)
        #expect(
            board.line(for: snapshot)
                == "#4 after #31: Goal 2-1 (Header 2-0, Penalty 0-1), Yellow Card 1-0")
        #expect(board.board.count == 6, "header, Goal, its two sub types, Yellow Card, the position")
        #expect(board.board[1].hasPrefix("Goal ") && board.board[1].hasSuffix("  2 | 1"))
        #expect(board.board.last == "statistics #4 after action #31")
        let last = try Self.snapshot(finished: true)
        board.apply(last)
        #expect(board.finalLine == "final statistics: Goal 2-1 (Header 2-0, Penalty 0-1), Yellow Card 1-0 (final)")
    }

    @Test func aFrameThatIsNotAStatisticsPacketIsRefusedWithASentence() {
        #expect(throws: RuleViolation.self) {
            try StatisticsSnapshot(json: JSONValue.parse(Array(#"{"seqNum": 1}"#.utf8)))
        }
    }
}
