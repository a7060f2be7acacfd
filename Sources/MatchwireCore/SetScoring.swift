/// Scoring by sets won on points, as table tennis (its games) and volleyball (its sets) score: a set is won by
/// the first side to reach its target with a lead of two, with no cap; it is credited to the match score at its
/// winning point, in that packet; the match is won at `(bestOf + 1) / 2` sets. `unit` is what a set is called in
/// the sentences of refusals (`game`, `set`).
public struct SetScoring: Sendable, Hashable {
    public let bestOf: Int
    public let pointsPerSet: Int
    /// The target of the deciding set (number `bestOf`).
    public let pointsInDecidingSet: Int
    let unit: String

    /// Sets a side needs to win the match.
    public var setsToWin: Int { (bestOf + 1) / 2 }

    /// The points that win set `number` (1-based).
    public func target(ofSet number: Int) -> Int { number == bestOf ? pointsInDecidingSet : pointsPerSet }

    /// The winner of set `number` at this score, if it is won.
    public func setWinner(home: Int, away: Int, set number: Int) -> Side? {
        let target = target(ofSet: number)
        if home >= target, home - away >= 2 { return .home }
        if away >= target, away - home >= 2 { return .away }
        return nil
    }

    /// The winner of `set`, if it is won.
    public func winner(of set: PeriodState) -> Side? {
        setWinner(home: set.homePeriodScore, away: set.awayPeriodScore, set: set.id)
    }

    public func matchWinner(_ state: MatchState) -> Side? {
        if state.homeScore >= setsToWin { return .home }
        if state.awayScore >= setsToWin { return .away }
        return nil
    }

    public func checkStartPeriod(in state: MatchState) throws(RuleViolation) {
        if matchWinner(state) != nil {
            throw RuleViolation(
                "Start Period is refused: the match is already won \(state.homeScore)-\(state.awayScore) in \(unit)s.")
        }
        if state.periods.count >= bestOf {
            throw RuleViolation(
                "Start Period is refused: a best of \(bestOf) match has no \(unit) \(state.periods.count + 1).")
        }
    }

    public func checkEndPeriod(in state: MatchState) throws(RuleViolation) {
        guard let set = state.openPeriod else { return }
        if winner(of: set) == nil {
            throw RuleViolation(
                "End Period is refused: the \(set.label) is not won at \(set.homePeriodScore)-\(set.awayPeriodScore) "
                    + "(a \(unit) is won at \(target(ofSet: set.id)) with a two-point lead).")
        }
    }

    public func checkDecided(_ state: MatchState) throws(RuleViolation) {
        if matchWinner(state) == nil {
            throw RuleViolation(
                "End Fixture is refused: no side has won \(setsToWin) \(unit)s (\(unit)s \(state.homeScore)-\(state.awayScore))."
            )
        }
    }

    /// One point to `side` in the open set, crediting the set to the match score at its winning point. Refused
    /// in a set already won.
    public func score(_ action: ResolvedAction, for side: Side, in state: inout MatchState) throws(RuleViolation) {
        guard let set = state.openPeriod else { return }
        if let won = winner(of: set) {
            throw RuleViolation(
                "\(action.definition.name) is refused: the \(set.label) is already won "
                    + "\(set.homePeriodScore)-\(set.awayPeriodScore) by the \(won == .home ? "home" : "away") side "
                    + "(send End Period, then Start Period for the next \(unit)).")
        }
        state.addPoints(1, to: side, periodOnly: true)
        guard let updated = state.openPeriod else { return }
        if winner(of: updated) == side {
            state.addToMatchScore(1, to: side)
        }
    }
}

/// The rules of a sport scored by ``SetScoring``: its periods are its sets ("1st Set", "2nd Set", ...), it has no
/// clock, and every check of the lifecycle is the scoring's. A conforming sport brings its catalogue, its rules
/// object, its `scoring` and what a point does (`apply`).
public protocol SetScoredRules: SportRules {
    var scoring: SetScoring { get }
}

extension SetScoredRules {
    public func period(_ number: Int, in state: MatchState) -> (type: PeriodType, label: String) {
        (.regular, "\(Self.ordinal(number)) Set")
    }

    public func checkStartPeriod(in state: MatchState) throws(RuleViolation) { try scoring.checkStartPeriod(in: state) }
    public func checkEndPeriod(in state: MatchState) throws(RuleViolation) { try scoring.checkEndPeriod(in: state) }
    public func checkDecided(_ state: MatchState) throws(RuleViolation) { try scoring.checkDecided(state) }

    public func clockStart(ofPeriod number: Int) -> (reading: ClockTime, countsDown: Bool)? { nil }

    /// The side that has won the match, if one has.
    public func matchWinner(_ state: MatchState) -> Side? { scoring.matchWinner(state) }
}
