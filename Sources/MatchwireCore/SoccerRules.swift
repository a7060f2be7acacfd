extension Sport {
    /// Soccer (sports.md §5). The demo plays cup ties: extra time and a shootout when level.
    public static let soccer = Sport(
        name: "soccer", pathSegment: "soccer", displayName: "Soccer", possessionWord: "possession",
        periodWord: "half", rules: SoccerRules.self, simulator: SoccerSimulator.self, playersPerSide: (11, 7),
        demoRules: SoccerRules(extraTime: true, penaltyShootout: true).rulesObject)
}

/// Soccer (sports.md §5): two halves, extra time and a penalty shootout when the rules call for them while the
/// score is level; goals count in their period and the match; shootout kicks only in the shootout period.
/// The clock counts up from each period's nominal start (00:00, 45:00, 90:00, 105:00).
public struct SoccerRules: SportRules {
    public let periodLength: Int
    public let extraTime: Bool
    public let extraTimeLength: Int
    public let penaltyShootout: Bool

    public static let goal = 104
    public static let shootoutKick = 130
    public static let shootoutKickScored = 13001

    public static let actions: [ActionDefinition] = [
        ActionDefinition(101, "Safe", team: .required, effect: .possessionToTeam),
        ActionDefinition(102, "Attack", team: .required, effect: .possessionToTeam),
        ActionDefinition(103, "Dangerous Attack", team: .required, effect: .possessionToTeam),
        ActionDefinition(
            goal, "Goal", team: .required, effect: .sport,
            subTypes: [.init(10401, "Shot"), .init(10402, "Header"), .init(10403, "Penalty"), .init(10404, "Own Goal")]),
        ActionDefinition(
            105, "Red Card", team: .required, subTypes: [.init(10501, "Straight Red"), .init(10502, "Second Yellow")]),
        ActionDefinition(
            106, "Penalty Awarded", team: .required, subTypes: [.init(10601, "Foul"), .init(10602, "Handball")]),
        ActionDefinition(107, "Yellow Card", team: .required),
        ActionDefinition(108, "Penalty Missed", team: .required),
        ActionDefinition(109, "Corner", team: .required),
        ActionDefinition(110, "Free Kick", team: .required),
        ActionDefinition(111, "Shot On Target", team: .required),
        ActionDefinition(112, "Shot Off Target", team: .required),
        ActionDefinition(113, "Throw In Taken", team: .required),
        ActionDefinition(114, "Offside", team: .required),
        ActionDefinition(115, "Goal Kick", team: .required),
        ActionDefinition(121, "Kick Off", team: .required, effect: .possessionToTeam),
        ActionDefinition(126, "Throw In Awarded", team: .required),
        ActionDefinition(
            shootoutKick, "Shootout Kick", team: .required, effect: .sport,
            subTypes: [.init(shootoutKickScored, "Scored"), .init(13002, "Missed")], outcomeIsSubType: true),
        ActionDefinition(133, "Temporary Dismissal", team: .required),
        ActionDefinition(134, "Temporary Dismissal Over", team: .required),
    ]

    public init(
        periodLength: Int = 45, extraTime: Bool = false, extraTimeLength: Int = 15, penaltyShootout: Bool = false
    ) {
        self.periodLength = periodLength
        self.extraTime = extraTime
        self.extraTimeLength = extraTimeLength
        self.penaltyShootout = penaltyShootout
    }

    public init(rulesObject: JSONValue?) throws(RuleViolation) {
        let object = try RulesObject(rulesObject)
        let periodLength = try object.integer("periodLength", default: 45, in: 1...90)
        let extraTime = try object.bool("extraTime", default: false)
        let extraTimeLength = try object.integer("extraTimeLength", default: 15, in: 1...30)
        let penaltyShootout = try object.bool("penaltyShootout", default: false)
        self.init(
            periodLength: periodLength, extraTime: extraTime, extraTimeLength: extraTimeLength,
            penaltyShootout: penaltyShootout)
    }

    public var rulesObject: JSONValue {
        .object([
            "periodLength": .number(periodLength), "extraTime": .bool(extraTime),
            "extraTimeLength": .number(extraTimeLength), "penaltyShootout": .bool(penaltyShootout),
        ])
    }

    /// The number of the shootout period: after the extra-time halves when there are any, else after the 2nd half.
    public var shootoutPeriod: Int? { penaltyShootout ? (extraTime ? 5 : 3) : nil }

    public func period(_ number: Int, in state: MatchState) -> (type: PeriodType, label: String) {
        switch number {
        case 1: (.regular, "1st half")
        case 2: (.regular, "2nd half")
        case shootoutPeriod: (.shootout, "penalty shootout")
        case 3: (.extraTime, "1st half extra time")
        case 4: (.extraTime, "2nd half extra time")
        default: (.regular, "period \(number)")
        }
    }

    public func checkStartPeriod(in state: MatchState) throws(RuleViolation) {
        let number = state.periods.count + 1
        switch number {
        case 1, 2:
            return
        case 3 where extraTime:
            try requireLevel(state, after: "the 2nd half")
        case 4 where extraTime:
            return
        case shootoutPeriod:
            try requireLevel(state, after: extraTime ? "extra time" : "the 2nd half")
        default:
            throw RuleViolation(
                "Start Period is refused: the rules (extraTime \(extraTime), penaltyShootout \(penaltyShootout)) have no period \(number)."
            )
        }
    }

    private func requireLevel(_ state: MatchState, after what: String) throws(RuleViolation) {
        guard state.homeScore != state.awayScore else { return }
        throw RuleViolation(
            "Start Period is refused: the match is not level after \(what) (\(state.homeScore)-\(state.awayScore)).")
    }

    public func checkEndPeriod(in state: MatchState) throws(RuleViolation) {
        guard let open = state.openPeriod, open.type == .shootout, open.homePeriodScore == open.awayPeriodScore else {
            return
        }
        throw RuleViolation(
            "End Period is refused: the penalty shootout is level at \(open.homePeriodScore)-\(open.awayPeriodScore).")
    }

    /// A draw is a result unless the rules call for extra time or a shootout; after a shootout the match score
    /// stays level and the shootout (whose period could only end with a winner) decided it.
    public func checkDecided(_ state: MatchState) throws(RuleViolation) {
        let played = state.periods.count
        guard played >= 2 else {
            throw RuleViolation("End Fixture is refused: only \(played) of 2 halves have been played.")
        }
        guard state.homeScore == state.awayScore else { return }
        if extraTime && played < 4 {
            throw RuleViolation("End Fixture is refused: the match is level and the rules call for extra time.")
        }
        if let shootoutPeriod, played < shootoutPeriod {
            throw RuleViolation("End Fixture is refused: the match is level and the rules call for a penalty shootout.")
        }
    }

    /// No clock in the penalty shootout: it shows 00:00, stopped, and clock actions change nothing.
    public func clockStart(ofPeriod number: Int) -> (reading: ClockTime, countsDown: Bool)? {
        let minutes: Int
        switch number {
        case shootoutPeriod: return nil
        case 1: minutes = 0
        case 2: minutes = periodLength
        case 3: minutes = 2 * periodLength
        default: minutes = 2 * periodLength + extraTimeLength
        }
        return (ClockTime(seconds: minutes * 60), false)
    }

    /// Goals count in their period and in the match; shootout kicks only in the shootout period's score.
    public func apply(_ action: ResolvedAction, to state: inout MatchState) throws(RuleViolation) {
        guard let side = action.side, let open = state.openPeriod else { return }
        switch action.definition.id {
        case Self.goal:
            guard open.type != .shootout else {
                throw RuleViolation("Goal is refused in the penalty shootout: send Shootout Kick (130) instead.")
            }
            state.addPoints(1, to: side)
        case Self.shootoutKick:
            guard open.type == .shootout else {
                throw RuleViolation("Shootout Kick is refused: the \(open.label) is not a penalty shootout.")
            }
            if action.subType?.id == Self.shootoutKickScored { state.addPoints(1, to: side, periodOnly: true) }
        default:
            return
        }
    }
}
