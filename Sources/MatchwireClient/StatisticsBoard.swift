import MatchwireCore

/// What a consumer shows of a fixture's statistics stream: a table of the latest totals, home against away, and
/// one line per statistics packet.
public struct StatisticsBoard: Sendable {
    public let fixture: Fixture
    public private(set) var latest: StatisticsSnapshot?

    public init(fixture: Fixture) {
        self.fixture = fixture
    }

    public mutating func apply(_ snapshot: StatisticsSnapshot) {
        latest = snapshot
    }

    /// One packet on one line: its number, the action packet that made it, and every total home-away with its
    /// sub types, such as `#4 after #31: Goal 2-1 (Header 2-0, Penalty 0-1), Yellow Card 1-0`.
    public func line(for snapshot: StatisticsSnapshot) -> String {
        let totals = rows(of: snapshot).map { row in
            "\(row.name) \(row.home)-\(row.away)"
                + (row.subRows.isEmpty
                    ? "" : " (" + row.subRows.map { "\($0.name) \($0.home)-\($0.away)" }.joined(separator: ", ") + ")")
        }
        return "#\(snapshot.seqNum) after #\(snapshot.fixtureSeqNum): "
            + (totals.isEmpty ? "no totals" : totals.joined(separator: ", "))
            + (snapshot.finished ? " (final)" : "")
    }

    /// The table: the teams, then one row per action type counted for either side (its sub types indented under
    /// it), home total then away total.
    public var board: [String] {
        guard let latest else { return ["\(fixture.name) statistics", "waiting for the first statistics packet"] }
        let rows = rows(of: latest).flatMap { row in
            [row] + row.subRows.map { Row(name: "  \($0.name)", home: $0.home, away: $0.away) }
        }
        let width = max(20, rows.map(\.name.count).max() ?? 0)
        let header = "".padded(width) + "  \(fixture.home.name) | \(fixture.away.name)"
        let lines = rows.map { row in "\(row.name.padded(width))  \(row.home) | \(row.away)" }
        return [header] + (lines.isEmpty ? ["no totals yet"] : lines)
            + ["statistics #\(latest.seqNum) after action #\(latest.fixtureSeqNum)\(latest.finished ? ", final" : "")"]
    }

    /// The totals once the last packet is in.
    public var finalLine: String {
        guard let latest else { return "no statistics: \(fixture.name)" }
        return "final statistics: " + line(for: latest).drop { $0 != ":" }.dropFirst(2)
    }

    private struct Row {
        let name: String
        let home: Int
        let away: Int
        var subRows: [Row] = []
    }

    /// Every action type either side has a total of, by id, each with its sub types by id.
    private func rows(of snapshot: StatisticsSnapshot) -> [Row] {
        let actions = snapshot.teams.flatMap(\.actions)
        return Set(actions.map(\.id)).sorted().map { id in
            let subActions = actions.filter { $0.id == id }.flatMap(\.subActions)
            return Row(
                name: actions.first { $0.id == id }?.name ?? String(id), home: snapshot.count(home: true, actionId: id),
                away: snapshot.count(home: false, actionId: id),
                subRows: Set(subActions.map(\.id)).sorted().map { subId in
                    Row(
                        name: subActions.first { $0.id == subId }?.name ?? String(subId),
                        home: snapshot.count(home: true, actionId: id, subActionId: subId),
                        away: snapshot.count(home: false, actionId: id, subActionId: subId))
                })
        }
    }
}

extension String {
    fileprivate func padded(_ width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - count))
    }
}
