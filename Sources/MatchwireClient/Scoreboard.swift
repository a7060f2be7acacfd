import MatchwireCore

/// What a consumer shows of a fixture: a scoreboard drawn from the latest packet's summary, and one line per
/// packet.
public struct Scoreboard: Sendable {
    public let fixture: Fixture
    public private(set) var latest: Packet?

    public init(fixture: Fixture) {
        self.fixture = fixture
    }

    public mutating func apply(_ packet: Packet) {
        latest = packet
    }

    /// One packet on one line: sequence number, period, clock, the action and the score after it, such as
    /// `#157 2nd half 67:12 Goal Eastport | Northbridge 2-1 Eastport`.
    public func line(for packet: Packet) -> String {
        let action = packet.action
        let summary = packet.summary
        var what = action.actionType
        if let subType = action.subType { what += " (\(subType.name))" }
        if let team = action.team { what += " \(team.name)" }
        if action.sendType != .confirmed { what += " [\(action.sendType.name)]" }
        return
            "#\(action.fixtureSeqNum) \(periodLabel(summary)) \(summary.currentClockTime) \(what) | \(score(summary))"
    }

    /// The scoreboard: teams and score with the status, period and clock with the serve or possession, the
    /// period scores, and the last action.
    public var board: [String] {
        guard let latest else { return ["\(fixture.name)", "waiting for the first packet"] }
        let summary = latest.summary
        let holder = summary.isHomeTeamInPossession ? fixture.home.name : fixture.away.name
        let clock = "\(summary.currentClockTime)\(summary.clockRunning ? " running" : "")"
        return [
            "\(score(summary))   \(summary.currentStatus.name)\(summary.finished ? ", final" : "")",
            "\(periodLabel(summary))  \(clock)   \(fixture.sport.possessionWord): \(holder)",
            periodScores(summary),
            "last: \(line(for: latest))",
        ]
    }

    /// The state in one line, such as `2nd half 1-1 67:12 | Northbridge 2-1 Eastport`: the period with its own
    /// score, the clock, and the match score.
    public var situation: String {
        guard let summary = latest?.summary else { return "waiting for the first packet" }
        let periodScore = currentPeriod(summary).map { " \($0.homePeriodScore)-\($0.awayPeriodScore)" } ?? ""
        return "\(periodLabel(summary))\(periodScore) \(summary.currentClockTime) | \(score(summary))"
    }

    /// The period and the match score, without the clock: it changes only when the match moves on.
    public var stage: String {
        guard let summary = latest?.summary else { return "" }
        return "\(periodLabel(summary)) \(score(summary))"
    }

    /// The result once the last packet is in, such as
    /// `final: Northbridge 2-1 Eastport (Completed; 1st half 1-0, 2nd half 1-1)`.
    public var finalLine: String {
        guard let summary = latest?.summary else { return "no packets: \(fixture.name)" }
        return "final: \(score(summary)) (\(summary.currentStatus.name); \(periodScores(summary)))"
    }

    private func score(_ summary: FixtureSummary) -> String {
        "\(fixture.home.name) \(summary.homeTeamScore)-\(summary.awayTeamScore) \(fixture.away.name)"
    }

    private func currentPeriod(_ summary: FixtureSummary) -> PeriodState? {
        summary.periods.last { $0.id == summary.currentPeriod }
    }

    private func periodLabel(_ summary: FixtureSummary) -> String {
        currentPeriod(summary)?.label ?? "pre-match"
    }

    private func periodScores(_ summary: FixtureSummary) -> String {
        let periods = summary.periods.filter { $0.id > 0 }
        guard !periods.isEmpty else { return "no period played" }
        return periods.map { "\($0.label) \($0.homePeriodScore)-\($0.awayPeriodScore)" }.joined(separator: ", ")
    }
}
