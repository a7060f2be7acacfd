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

    public static let actions: [ActionDefinition] = [
        ActionDefinition(Action.safe, "Safe", team: .required, effect: .possessionToTeam),
        ActionDefinition(Action.attack, "Attack", team: .required, effect: .possessionToTeam),
        ActionDefinition(Action.dangerousAttack, "Dangerous Attack", team: .required, effect: .possessionToTeam),
        ActionDefinition(
            Action.goal, "Goal", team: .required, effect: .sport,
            subTypes: [
                .init(SubType.goalShot, "Shot"), .init(SubType.goalHeader, "Header"),
                .init(SubType.goalPenalty, "Penalty"), .init(SubType.goalOwnGoal, "Own Goal"),
            ]),
        ActionDefinition(
            Action.redCard, "Red Card", team: .required,
            subTypes: [
                .init(SubType.redCardStraightRed, "Straight Red"), .init(SubType.redCardSecondYellow, "Second Yellow"),
            ]),
        ActionDefinition(
            Action.penaltyAwarded, "Penalty Awarded", team: .required,
            subTypes: [.init(SubType.penaltyAwardedFoul, "Foul"), .init(SubType.penaltyAwardedHandball, "Handball")]),
        ActionDefinition(Action.yellowCard, "Yellow Card", team: .required),
        ActionDefinition(Action.penaltyMissed, "Penalty Missed", team: .required),
        ActionDefinition(Action.corner, "Corner", team: .required),
        ActionDefinition(Action.freeKick, "Free Kick", team: .required),
        ActionDefinition(Action.shotOnTarget, "Shot On Target", team: .required),
        ActionDefinition(Action.shotOffTarget, "Shot Off Target", team: .required),
        ActionDefinition(Action.throwInTaken, "Throw In Taken", team: .required),
        ActionDefinition(Action.offside, "Offside", team: .required),
        ActionDefinition(Action.goalKick, "Goal Kick", team: .required),
        ActionDefinition(Action.kickOff, "Kick Off", team: .required, effect: .possessionToTeam),
        ActionDefinition(Action.throwInAwarded, "Throw In Awarded", team: .required),
        ActionDefinition(
            Action.shootoutKick, "Shootout Kick", team: .required, effect: .sport,
            subTypes: [.init(SubType.shootoutKickScored, "Scored"), .init(SubType.shootoutKickMissed, "Missed")],
            outcomeIsSubType: true),
        ActionDefinition(Action.temporaryDismissal, "Temporary Dismissal", team: .required),
        ActionDefinition(Action.temporaryDismissalOver, "Temporary Dismissal Over", team: .required),
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
        let periodLength = try object.integer("periodLength", of: Self.rulesKeys)
        let extraTime = try object.bool("extraTime", of: Self.rulesKeys)
        let extraTimeLength = try object.integer("extraTimeLength", of: Self.rulesKeys)
        let penaltyShootout = try object.bool("penaltyShootout", of: Self.rulesKeys)
        self.init(
            periodLength: periodLength, extraTime: extraTime, extraTimeLength: extraTimeLength,
            penaltyShootout: penaltyShootout)
    }

    public static let rulesKeys: [RulesKey] = [
        .integer("periodLength", 1...90, default: 45, "Minutes per half."),
        .boolean("extraTime", default: false, "Extra time when level after the 2nd half."),
        .integer("extraTimeLength", 1...30, default: 15, "Minutes per extra-time half."),
        .boolean("penaltyShootout", default: false, "A penalty shootout when still level."),
    ]

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
        case Action.goal:
            guard open.type != .shootout else {
                throw RuleViolation("Goal is refused in the penalty shootout: send Shootout Kick (130) instead.")
            }
            state.addPoints(1, to: side)
        case Action.shootoutKick:
            guard open.type == .shootout else {
                throw RuleViolation("Shootout Kick is refused: the \(open.label) is not a penalty shootout.")
            }
            if action.subType?.id == SubType.shootoutKickScored { state.addPoints(1, to: side, periodOnly: true) }
        default:
            return
        }
    }
}

extension SoccerRules {
    /// The ids of these actions on the wire (sports.md §5), by name: what the catalogue, the simulators and
    /// the tests use, so that no id is written as a bare number twice.
    public enum Action {
        public static let safe = 101
        public static let attack = 102
        public static let dangerousAttack = 103
        public static let goal = 104
        public static let redCard = 105
        public static let penaltyAwarded = 106
        public static let yellowCard = 107
        public static let penaltyMissed = 108
        public static let corner = 109
        public static let freeKick = 110
        public static let shotOnTarget = 111
        public static let shotOffTarget = 112
        public static let throwInTaken = 113
        public static let offside = 114
        public static let goalKick = 115
        public static let kickOff = 121
        public static let throwInAwarded = 126
        public static let shootoutKick = 130
        public static let temporaryDismissal = 133
        public static let temporaryDismissalOver = 134
    }

    /// The ids of their sub types, by action and name.
    public enum SubType {
        public static let goalShot = 10401
        public static let goalHeader = 10402
        public static let goalPenalty = 10403
        public static let goalOwnGoal = 10404
        public static let redCardStraightRed = 10501
        public static let redCardSecondYellow = 10502
        public static let penaltyAwardedFoul = 10601
        public static let penaltyAwardedHandball = 10602
        public static let shootoutKickScored = 13001
        public static let shootoutKickMissed = 13002
    }
}
