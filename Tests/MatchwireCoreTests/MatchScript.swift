import Foundation
import MatchwireCore
import Testing

/// Writes a table tennis match the way a scout sends it, one action a second, for tests that read like
/// the rule book.
struct MatchScript {
    var engine: FixtureEngine
    var clock = Timestamp(iso8601: "2025-05-20T08:30:00.000Z")!
    let fixture: Fixture

    init(bestOf: Int = 5) throws {
        try self.init(sport: .tableTennis, rules: TableTennisRules(bestOf: bestOf).rulesObject)
    }

    /// A match of any sport between the reference sample's two sides.
    init(sport: Sport, rules: JSONValue) throws {
        let reference = try ReferenceSamples.tableTennisFixture()
        let fixture = Fixture(
            id: reference.id, sport: sport, startDate: reference.startDate, teams: reference.teams, rules: rules)
        self.fixture = fixture
        engine = try FixtureEngine(fixture: fixture)
    }

    var summary: FixtureSummary { FixtureSummary(engine.state, at: clock) }
    var gameScore: (Int, Int) {
        (engine.state.openPeriod ?? engine.state.periods.last).map { ($0.homePeriodScore, $0.awayPeriodScore) } ?? (
            0, 0
        )
    }
    var matchScore: (Int, Int) { (engine.state.homeScore, engine.state.awayScore) }

    /// Sends one action and returns its packet; throws the refusal.
    @discardableResult
    mutating func send(
        _ type: Int, _ side: Side? = nil, sendType: SendType = .confirmed, actionId: UUID = UUID(),
        subType: Int? = nil, metadata: JSONValue? = nil, related: [UUID] = [], after seconds: Int = 1
    ) throws(RuleViolation) -> Packet {
        clock = Timestamp(microseconds: clock.microseconds + Int64(seconds) * 1_000_000)
        let submission = ActionSubmission(
            actionId: actionId, actionType: .id(type), sendType: sendType, subTypeId: subType,
            teamId: side.map { $0 == .home ? fixture.home.id : fixture.away.id }, metadata: metadata,
            relatedActionIds: related)
        switch try engine.ingest(submission, receivedAt: clock, traceId: String(repeating: "0", count: 32)) {
        case .stored(let packet): return packet
        case .duplicate: throw RuleViolation("unexpected retry")
        }
    }

    mutating func startMatch() throws {
        try send(4)
        try send(6)
    }

    @discardableResult
    mutating func point(_ side: Side, actionId: UUID = UUID()) throws(RuleViolation) -> Packet {
        try send(1102, side, actionId: actionId)
    }

    /// Scores points in order: "HHA" is home, home, away.
    mutating func points(_ sides: String) throws {
        for letter in sides { try point(letter == "H" ? .home : .away) }
    }

    mutating func nextGame() throws {
        try send(7)
        try send(6)
    }

    /// Home wins a game 11-0.
    mutating func homeWinsGame() throws {
        try points(String(repeating: "H", count: 11))
    }
}

/// Runs `body` and returns the refusal it throws, or records an issue if it throws none.
func refusal(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        try body()
        Issue.record("the action was accepted", sourceLocation: sourceLocation)
        return ""
    } catch let violation as RuleViolation {
        return violation.message
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return ""
    }
}
