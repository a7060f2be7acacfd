extension Sport {
    /// Ice hockey (sports.md §8): three periods, a sudden-death overtime and a shootout while level.
    public static let iceHockey = Sport(
        name: "ice-hockey", pathSegment: "ice-hockey", displayName: "Ice hockey", possessionWord: "possession",
        periodWord: "period", rules: IceHockeyRules.self, simulator: IceHockeySimulator.self, playersPerSide: (6, 14),
        shortMatchRules: IceHockeyRules(periodLength: 2, overtimeLength: 1).rulesObject)
}

/// Ice hockey (sports.md §8): three periods; when the rules call for them and the score is level, a sudden-death
/// overtime (the first goal ends it) and then a shootout, whose attempts count only in its own period score and
/// whose winner gets one goal in the match score when it ends (3-2 from 2-2). The clock counts down from each
/// period's length and stops at 00:00; the shootout has none.
public struct IceHockeyRules: SportRules {
    public let periodLength: Int
    public let overtime: Bool
    public let overtimeLength: Int
    public let shootout: Bool

    /// The periods of regulation time.
    public static let regulationPeriods = 3

    /// What a Penalty's optional `metadata.minutes` may say: a minor's 2 to a match penalty's 25.
    public static let penaltyMinutes = 2...25

    public static let actions: [ActionDefinition] = [
        ActionDefinition(
            Action.goal, "Goal", team: .required, effect: .sport,
            subTypes: [
                .init(SubType.goalEvenStrength, "Even Strength"), .init(SubType.goalPowerPlay, "Power Play"),
                .init(SubType.goalShortHanded, "Short Handed"), .init(SubType.goalEmptyNet, "Empty Net"),
                .init(SubType.goalPenaltyShot, "Penalty Shot"),
            ]),
        ActionDefinition(Action.shotOnGoal, "Shot On Goal", team: .required),
        ActionDefinition(Action.shotMissed, "Shot Missed", team: .required),
        ActionDefinition(Action.shotBlocked, "Shot Blocked", team: .required),
        ActionDefinition(
            Action.penalty, "Penalty", team: .required, effect: .sport,
            subTypes: [
                .init(SubType.penaltyMinor, "Minor"), .init(SubType.penaltyDoubleMinor, "Double Minor"),
                .init(SubType.penaltyMajor, "Major"), .init(SubType.penaltyMisconduct, "Misconduct"),
                .init(SubType.penaltyMatchPenalty, "Match Penalty"),
            ]),
        ActionDefinition(Action.faceoffWon, "Faceoff Won", team: .required, effect: .possessionToTeam),
        ActionDefinition(Action.icing, "Icing", team: .required),
        ActionDefinition(Action.offside, "Offside", team: .required),
        ActionDefinition(Action.goaliePulled, "Goalie Pulled", team: .required),
        ActionDefinition(Action.goalieReturned, "Goalie Returned", team: .required),
        ActionDefinition(
            Action.shootoutAttempt, "Shootout Attempt", team: .required, effect: .sport,
            subTypes: [
                .init(SubType.shootoutAttemptScored, "Scored"), .init(SubType.shootoutAttemptMissed, "Missed"),
            ],
            outcomeIsSubType: true),
    ]

    public init(periodLength: Int = 20, overtime: Bool = true, overtimeLength: Int = 5, shootout: Bool = true) {
        self.periodLength = periodLength
        self.overtime = overtime
        self.overtimeLength = overtimeLength
        self.shootout = shootout
    }

    public init(rulesObject: JSONValue?) throws(RuleViolation) {
        let object = try RulesObject(rulesObject)
        let periodLength = try object.integer("periodLength", of: Self.rulesKeys)
        let overtime = try object.bool("overtime", of: Self.rulesKeys)
        let overtimeLength = try object.integer("overtimeLength", of: Self.rulesKeys)
        let shootout = try object.bool("shootout", of: Self.rulesKeys)
        self.init(periodLength: periodLength, overtime: overtime, overtimeLength: overtimeLength, shootout: shootout)
    }

    public static let rulesKeys: [RulesKey] = [
        .integer("periodLength", 1...60, default: 20, "Minutes per period."),
        .boolean("overtime", default: true, "A sudden-death overtime when level after the 3rd period."),
        .integer("overtimeLength", 1...20, default: 5, "Minutes of the overtime."),
        .boolean("shootout", default: true, "A shootout when still level (after the overtime, if any)."),
    ]

    public var rulesObject: JSONValue {
        .object([
            "periodLength": .number(periodLength), "overtime": .bool(overtime),
            "overtimeLength": .number(overtimeLength), "shootout": .bool(shootout),
        ])
    }

    /// The number of the overtime period, when the rules have one: right after the 3rd period.
    public var overtimePeriod: Int? { overtime ? Self.regulationPeriods + 1 : nil }

    /// The number of the shootout period, when the rules have one: after the overtime, or after the 3rd period
    /// when there is no overtime.
    public var shootoutPeriod: Int? { shootout ? Self.regulationPeriods + (overtime ? 2 : 1) : nil }

    public func period(_ number: Int, in state: MatchState) -> (type: PeriodType, label: String) {
        switch number {
        case 1...Self.regulationPeriods: (.regular, "\(Self.ordinal(number)) period")
        case overtimePeriod: (.overtime, "overtime")
        case shootoutPeriod: (.shootout, "shootout")
        default: (.regular, "period \(number)")
        }
    }

    public func checkStartPeriod(in state: MatchState) throws(RuleViolation) {
        let number = state.periods.count + 1
        switch number {
        case 1...Self.regulationPeriods:
            return
        case overtimePeriod:
            try requireLevel(state, for: "the overtime")
        case shootoutPeriod:
            try requireLevel(state, for: "the shootout")
        default:
            throw RuleViolation(
                "Start Period is refused: the rules (overtime \(overtime), shootout \(shootout)) "
                    + "have no period \(number).")
        }
    }

    /// The overtime and the shootout are played only while the score is level.
    private func requireLevel(_ state: MatchState, for what: String) throws(RuleViolation) {
        guard state.homeScore != state.awayScore else { return }
        let last = state.periods.last?.label ?? "the last period"
        throw RuleViolation(
            "Start Period is refused: \(what) is played only while the score is level, "
                + "and it is \(state.homeScore)-\(state.awayScore) after the \(last).")
    }

    /// A shootout ends only with one side ahead.
    public func checkEndPeriod(in state: MatchState) throws(RuleViolation) {
        guard let open = state.openPeriod, open.type == .shootout, open.homePeriodScore == open.awayPeriodScore else {
            return
        }
        throw RuleViolation(
            "End Period is refused: the shootout is level at \(open.homePeriodScore)-\(open.awayPeriodScore), "
                + "and it ends only with one side ahead.")
    }

    /// The shootout's deciding goal: the side ahead in the shootout gets +1 in the match score as it ends (not in
    /// the shootout's period score, which keeps the attempts scored).
    public func periodEnded(_ state: inout MatchState) {
        guard let open = state.openPeriod, open.type == .shootout, open.homePeriodScore != open.awayPeriodScore else {
            return
        }
        state.addToMatchScore(1, to: open.homePeriodScore > open.awayPeriodScore ? .home : .away)
    }

    /// Three periods played, and a winner unless the rules call for no overtime and no shootout (a draw is then a
    /// result). A match still level once every period the rules allow has been played (overtime without a shootout)
    /// may end a draw too: nothing is left to decide it.
    public func checkDecided(_ state: MatchState) throws(RuleViolation) {
        let played = state.periods.count
        guard played >= Self.regulationPeriods else {
            throw RuleViolation(
                "End Fixture is refused: only \(played) of \(Self.regulationPeriods) periods have been played.")
        }
        guard state.homeScore == state.awayScore else { return }
        if let overtimePeriod, played < overtimePeriod {
            throw RuleViolation(
                "End Fixture is refused: the score is level at \(state.homeScore)-\(state.awayScore), "
                    + "and the rules call for an overtime.")
        }
        if let shootoutPeriod, played < shootoutPeriod {
            throw RuleViolation(
                "End Fixture is refused: the score is level at \(state.homeScore)-\(state.awayScore), "
                    + "and the rules call for a shootout.")
        }
    }

    /// Counts down from `periodLength` (the overtime: `overtimeLength`); no clock in the shootout.
    public func clockStart(ofPeriod number: Int) -> (reading: ClockTime, countsDown: Bool)? {
        switch number {
        case shootoutPeriod: return nil
        case overtimePeriod: return (ClockTime(minutes: overtimeLength), true)
        default: return (ClockTime(minutes: periodLength), true)
        }
    }

    /// Goals count in their period and in the match, one per overtime (sudden death), none in the shootout;
    /// shootout attempts only in the shootout, and only in its period score. A penalty's minutes, when given, are
    /// checked.
    public func apply(_ action: ResolvedAction, to state: inout MatchState) throws(RuleViolation) {
        guard let side = action.side, let open = state.openPeriod else { return }
        switch action.definition.id {
        case Action.goal:
            guard open.type != .shootout else {
                throw RuleViolation("Goal is refused in the shootout: send Shootout Attempt (311) instead.")
            }
            if open.type == .overtime, open.homePeriodScore + open.awayPeriodScore > 0 {
                throw RuleViolation(
                    "Goal is refused: the overtime is sudden death and its goal is already scored "
                        + "(\(state.homeScore)-\(state.awayScore)); End Period is next.")
            }
            state.addPoints(1, to: side)
        case Action.shootoutAttempt:
            guard open.type == .shootout else {
                throw RuleViolation("Shootout Attempt is refused: the \(open.label) is not the shootout.")
            }
            if action.subType?.id == SubType.shootoutAttemptScored { state.addPoints(1, to: side, periodOnly: true) }
        case Action.penalty:
            guard let minutes = action.metadata?["minutes"] else { return }
            guard let value = minutes.intValue, Self.penaltyMinutes.contains(value) else {
                throw RuleViolation(
                    "Penalty's metadata.minutes, when given, must be an integer from \(Self.penaltyMinutes.lowerBound) "
                        + "to \(Self.penaltyMinutes.upperBound).")
            }
        default:
            return
        }
    }
}

extension IceHockeyRules {
    /// The ids of these actions on the wire (sports.md §8), by name: what the catalogue, the simulators and
    /// the tests use, so that no id is written as a bare number twice.
    public enum Action {
        public static let goal = 301
        public static let shotOnGoal = 302
        public static let shotMissed = 303
        public static let shotBlocked = 304
        public static let penalty = 305
        public static let faceoffWon = 306
        public static let icing = 307
        public static let offside = 308
        public static let goaliePulled = 309
        public static let goalieReturned = 310
        public static let shootoutAttempt = 311
    }

    /// The ids of their sub types, by action and name.
    public enum SubType {
        public static let goalEvenStrength = 30101
        public static let goalPowerPlay = 30102
        public static let goalShortHanded = 30103
        public static let goalEmptyNet = 30104
        public static let goalPenaltyShot = 30105
        public static let penaltyMinor = 30501
        public static let penaltyDoubleMinor = 30502
        public static let penaltyMajor = 30503
        public static let penaltyMisconduct = 30504
        public static let penaltyMatchPenalty = 30505
        public static let shootoutAttemptScored = 31101
        public static let shootoutAttemptMissed = 31102
    }
}
