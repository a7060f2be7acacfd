/// The effects shared by every sport (sports.md §1): fixture status, periods, clock and possession.
/// Actions whose effect is `.sport` go to the sport's rules.
public enum CommonRules {
    /// Applies one counting action to the state, or throws when the rules do not allow it here.
    public static func apply(
        _ action: ResolvedAction, to state: inout MatchState, rules: any SportRules
    ) throws(RuleViolation) {
        let name = action.definition.name
        if state.finished {
            throw RuleViolation("\(name) is refused: the fixture is finished and accepts no more actions.")
        }
        if action.definition.placement != .preMatch, action.definition.effect != .startFixture, !state.hasStarted {
            throw RuleViolation("\(name) is refused: the fixture has not started (send Start Fixture first).")
        }
        switch action.definition.effect {
        case .none:
            try requireOpenPeriodForPlay(action, state)
        case .startFixture:
            guard !state.hasStarted else {
                throw RuleViolation("Start Fixture is refused: the fixture has already started.")
            }
            state.hasStarted = true
            state.status = .live
            state.collectionStatus = .collectingLive
        case .endFixture:
            guard !state.hasEnded else { throw RuleViolation("End Fixture is refused: the fixture has already ended.") }
            if let open = state.openPeriod {
                throw RuleViolation("End Fixture is refused: the \(open.label) is still open (send End Period first).")
            }
            try rules.checkDecided(state)
            state.hasEnded = true
            state.status = .completed
            state.collectionStatus = .collectingPostMatch
            state.clock.stop(at: action.timestamp)
        case .startPeriod:
            if state.hasEnded { throw RuleViolation("Start Period is refused: the fixture has ended.") }
            if let open = state.openPeriod {
                throw RuleViolation("Start Period is refused: the \(open.label) is still open (send End Period first).")
            }
            try rules.checkStartPeriod(in: state)
            let number = state.periods.count + 1
            let (type, label) = rules.period(number, in: state)
            state.periods.append(
                PeriodState(
                    id: number, type: type, label: label, start: action.timestamp.wholeSecond, end: nil,
                    homeScore: state.homeScore, awayScore: state.awayScore))
            state.clock = ClockState(startOfPeriod: number, rules: rules)
        case .endPeriod:
            guard state.openPeriod != nil else {
                throw RuleViolation("End Period is refused: no period is open.")
            }
            try rules.checkEndPeriod(in: state)
            rules.periodEnded(&state)
            state.periods[state.periods.count - 1].end = action.timestamp.wholeSecond
            state.clock.stop(at: action.timestamp)
        case .startClock:
            try requireOpenPeriodForPlay(action, state)
            if rules.clockStart(ofPeriod: state.currentPeriod) != nil, !state.clock.isRunning {
                state.clock.runningSince = action.timestamp
            }
        case .stopClock:
            try requireOpenPeriodForPlay(action, state)
            state.clock.stop(at: action.timestamp)
        case .adjustClock:
            guard let text = action.metadata?["clockTime"]?.stringValue, let reading = ClockTime(text) else {
                throw RuleViolation("Adjust Clock needs metadata.clockTime as \"mm:ss\".")
            }
            if rules.clockStart(ofPeriod: state.currentPeriod) != nil {
                state.clock.reading = reading
                if state.clock.isRunning { state.clock.runningSince = action.timestamp }
            }
        case .possessionToTeam:
            try requireOpenPeriodForPlay(action, state)
            if let side = action.side { state.givePossession(to: side) }
        case .possessionToOtherTeam:
            try requireOpenPeriodForPlay(action, state)
            if let side = action.side { state.givePossession(to: side.other) }
        case .postMatchCheckComplete:
            guard state.hasEnded else {
                throw RuleViolation(
                    "Post Match Check Complete is refused: the fixture has not ended (send End Fixture first).")
            }
            state.collectionStatus = .postMatchChecked
            state.finished = true
        case .statusUpdated:
            try applyStatusUpdate(action, to: &state)
        case .sport:
            try requireOpenPeriodForPlay(action, state)
            try rules.apply(action, to: &state)
        }
    }

    /// Play actions (those filed under the current period) need an open period.
    private static func requireOpenPeriodForPlay(_ action: ResolvedAction, _ state: MatchState) throws(RuleViolation) {
        guard action.definition.placement == .current, state.openPeriod == nil else { return }
        throw RuleViolation("\(action.definition.name) is refused: no period is open (send Start Period first).")
    }

    private static func applyStatusUpdate(_ action: ResolvedAction, to state: inout MatchState) throws(RuleViolation) {
        let fixtureCode = action.metadata?["fixtureStatus"]
        let collectionCode = action.metadata?["collectionStatus"]
        guard fixtureCode != nil || collectionCode != nil else {
            throw RuleViolation("Status Updated needs metadata.fixtureStatus (0-7) or metadata.collectionStatus (0-6).")
        }
        if let fixtureCode {
            guard let code = fixtureCode.intValue, let status = FixtureStatus(rawValue: code) else {
                throw RuleViolation("metadata.fixtureStatus must be an integer from 0 to 7.")
            }
            state.status = status
        }
        if let collectionCode {
            guard let code = collectionCode.intValue, let status = CollectionStatus(rawValue: code) else {
                throw RuleViolation("metadata.collectionStatus must be an integer from 0 to 6.")
            }
            state.collectionStatus = status
            if status == .collectionDropped { state.finished = true }
        }
    }
}
