import Foundation
import MatchwireCore
import Testing

/// The statistics of protocol.md §5, packet by packet: what counts, under which type, and when a statistics
/// packet is made.
@Suite struct StatisticsRulebookTests {
    /// The statistics packet the last action made, or nil; and the totals after it.
    private func made(_ match: MatchScript) -> StatisticsPacket? { match.engine.lastStatisticsPacket }

    @Test func aYellowCardUpdatedToRedMovesFromOneTypeToTheOther() throws {
        var match = try MatchScript(sport: .soccer, rules: SoccerRules().rulesObject)
        try match.startMatch()
        #expect(made(match) == nil, "no action with a team yet: the totals did not change")
        let card = UUID()
        try match.send(107, .home, actionId: card)
        #expect(made(match)?.seqNum == 1)
        #expect(match.engine.statistics.count(.home, typeId: 107) == 1)
        // The referee's second look: a second yellow, so red.
        try match.send(105, .home, sendType: .updated, actionId: card, subType: 10502)
        #expect(made(match)?.seqNum == 2)
        #expect(match.engine.statistics.count(.home, typeId: 107) == 0)
        #expect(match.engine.statistics.count(.home, typeId: 105) == 1)
        #expect(match.engine.statistics.count(.home, typeId: 105, subTypeId: 10502) == 1)
        #expect(match.engine.statistics.teams[.home]?[107] == nil, "a type whose total is 0 is left out")
        #expect(match.engine.statistics.count(.away, typeId: 105) == 0)
    }

    @Test func aGoalDisallowedThenRestoredLeavesTheTotalsAndComesBack() throws {
        var match = try MatchScript(sport: .soccer, rules: SoccerRules().rulesObject)
        try match.startMatch()
        let goal = UUID()
        try match.send(104, .away, actionId: goal, subType: 10402)
        #expect(match.engine.statistics.count(.away, typeId: 104, subTypeId: 10402) == 1)
        try match.send(104, .away, sendType: .deleted, actionId: goal, subType: 10402)
        #expect(made(match)?.seqNum == 2)
        #expect(match.engine.statistics.isEmpty, "a deleted goal leaves the totals")
        try match.send(104, .away, sendType: .restored, actionId: goal, subType: 10402)
        #expect(made(match)?.seqNum == 3)
        #expect(match.engine.statistics.count(.away, typeId: 104) == 1)
        #expect(match.engine.statistics.count(.away, typeId: 104, subTypeId: 10402) == 1)
    }

    @Test func aPendingShotCountsOnlyOnceConfirmedMissed() throws {
        var match = try MatchScript(sport: .basketball, rules: BasketballRules(periods: 2).rulesObject)
        try match.startMatch()
        let shot = UUID()
        try match.send(232, .home, sendType: .pending, actionId: shot)
        #expect(made(match) == nil, "Pending never counts")
        #expect(match.engine.statistics.isEmpty)
        try match.send(232, .home, sendType: .confirmed, actionId: shot, subType: 23202)
        #expect(made(match)?.seqNum == 1)
        #expect(match.engine.statistics.count(.home, typeId: 232, subTypeId: 23202) == 1)
        #expect(match.engine.statistics.count(.home, typeId: 232, subTypeId: 23201) == 0)
        // A Pending shot that is cancelled never counted and never will.
        let other = UUID()
        try match.send(233, .away, sendType: .pending, actionId: other)
        try match.send(233, .away, sendType: .cancelled, actionId: other)
        #expect(made(match) == nil)
        #expect(match.engine.statistics.teams[.away] == nil)
    }

    @Test func theFinishingPacketAlwaysMakesTheLastStatisticsPacket() throws {
        var match = try MatchScript(bestOf: 3)
        try match.startMatch()
        let point = UUID()
        try match.point(.away, actionId: point)
        try match.send(1102, .away, sendType: .deleted, actionId: point)
        #expect(match.engine.statistics.isEmpty)
        try match.homeWinsGame()
        try match.nextGame()
        try match.homeWinsGame()
        #expect(match.engine.statistics.count(.home, typeId: 1102) == 22)
        let counted = match.engine.statisticsSeqNum
        #expect(counted == 24, "a packet per point, and one for the deleted point leaving")
        try match.send(7)
        try match.send(5)
        #expect(made(match) == nil, "ending the period and the fixture changes no total")
        try match.send(21)
        let last = try #require(made(match))
        #expect(last.finished && last.seqNum == counted + 1, "the packet that sets finished makes the last one")
        #expect(last.statistics == match.engine.statistics)
    }

    @Test func thePacketListsBothTeamsHomeFirstTypesAndSubTypesByIdWithTheirNames() throws {
        var match = try MatchScript(sport: .soccer, rules: SoccerRules().rulesObject)
        try match.startMatch()
        try match.send(109, .home)
        try match.send(104, .home, subType: 10403)
        try match.send(104, .home, subType: 10401)
        let packet = try #require(made(match))
        let json = try JSONValue.parse(packet.jsonBytes(fixture: match.fixture))
        #expect(json["seqNum"] == 3)
        #expect(json["version"] == 3)
        #expect(json["finished"] == false)
        #expect(json["fixtureId"]?.stringValue == match.fixture.id.wire)
        #expect(json["fixtureSeqNum"]?.intValue == match.engine.lastSeqNum)
        let teams = try #require(json["teamActionAggregates"]?.arrayValue)
        #expect(teams.map { $0["team"]?["homeTeam"] } == [true, false])
        #expect(teams[1]["gameActionAggregates"]?.arrayValue == [], "the away team is there with nothing counted")
        let home = try #require(teams[0]["gameActionAggregates"]?.arrayValue)
        #expect(home.map { $0["actionId"] } == [104, 109])
        #expect(home.map { $0["action"]?.stringValue } == ["Goal", "Corner"])
        #expect(home[0]["actionAggregate"] == 2)
        let subActions = try #require(home[0]["subActionAggregates"]?.arrayValue)
        #expect(subActions.map { $0["subActionId"] } == [10401, 10403])
        #expect(subActions.map { $0["subAction"]?.stringValue } == ["Shot", "Penalty"])
        #expect(subActions.map { $0["subActionAggregate"] } == [1, 1])
    }
}
