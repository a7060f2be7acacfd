extension Sport {
    /// Basketball (sports.md §6).
    public static let basketball = Sport(
        name: "basketball", pathSegment: "basketball", displayName: "Basketball", possessionWord: "possession",
        periodWord: "quarter", rules: BasketballRules.self, simulator: BasketballSimulator.self,
        playersPerSide: (5, 7), shortMatchRules: BasketballRules(periods: 2).rulesObject)
}

/// Basketball (sports.md §6): quarters, then as many overtimes as a level score needs; shots and free throws
/// score only when Made, a Pending shot counts nothing until it is confirmed, and a made basket hands the ball
/// to the other team. The clock counts down from each period's length and stops at 00:00.
public struct BasketballRules: SportRules {
    public let periods: Int
    public let periodLength: Int
    public let overtimeLength: Int

    public static let freeThrowsAwarded = 213
    public static let freeThrow = 231
    public static let twoPointShot = 232
    public static let threePointShot = 233
    /// The sub types that score, and how much.
    static let madeShots = [23101: 1, 23201: 2, 23301: 3]

    public static let actions: [ActionDefinition] = [
        ActionDefinition(
            201, "Turnover", team: .required, effect: .possessionToOtherTeam,
            subTypes: [
                .init(20001, "Stolen"), .init(20002, "Shot Clock Violation"), .init(20003, "Back Court Violation"),
                .init(20004, "Travelling"), .init(20005, "Double Dribble"), .init(20006, "Out Of Bounds"),
                .init(20007, "3 Second Violation"),
            ]),
        ActionDefinition(202, "Defensive Rebound", team: .required, effect: .possessionToTeam),
        ActionDefinition(203, "Assist", team: .required),
        ActionDefinition(204, "Offensive Rebound", team: .required, effect: .possessionToTeam),
        ActionDefinition(205, "Block", team: .required),
        ActionDefinition(
            206, "Foul", team: .required,
            subTypes: [
                .init(20601, "Personal"), .init(20602, "Shooting"), .init(20603, "Offensive"),
                .init(20604, "Technical"), .init(20605, "Unsportsmanlike"), .init(20606, "Disqualifying"),
            ]),
        ActionDefinition(207, "Jump Ball", team: .required, effect: .possessionToTeam),
        ActionDefinition(
            freeThrowsAwarded, "Free Throws Awarded", team: .required, effect: .sport, metadataExample: ["count": 2]),
        ActionDefinition(222, "Steal", team: .required, effect: .possessionToTeam),
        ActionDefinition(
            freeThrow, "Free Throw", team: .required, effect: .sport,
            subTypes: [.init(23101, "Made"), .init(23102, "Missed")], outcomeIsSubType: true),
        ActionDefinition(
            twoPointShot, "2PT Shot", team: .required, effect: .sport,
            subTypes: [.init(23201, "Made"), .init(23202, "Missed")], outcomeIsSubType: true),
        ActionDefinition(
            threePointShot, "3PT Shot", team: .required, effect: .sport,
            subTypes: [.init(23301, "Made"), .init(23302, "Missed")], outcomeIsSubType: true),
    ]

    public init(periods: Int = 4, periodLength: Int = 10, overtimeLength: Int = 5) {
        self.periods = periods
        self.periodLength = periodLength
        self.overtimeLength = overtimeLength
    }

    public init(rulesObject: JSONValue?) throws(RuleViolation) {
        let object = try RulesObject(rulesObject)
        let periods = try object.integer("periods", default: 4, in: 1...8)
        let periodLength = try object.integer("periodLength", default: 10, in: 1...60)
        let overtimeLength = try object.integer("overtimeLength", default: 5, in: 1...30)
        self.init(periods: periods, periodLength: periodLength, overtimeLength: overtimeLength)
    }

    public var rulesObject: JSONValue {
        .object([
            "periods": .number(periods), "periodLength": .number(periodLength),
            "overtimeLength": .number(overtimeLength),
        ])
    }

    /// "quarter" with four periods, "half" with two, otherwise "period".
    private var regularName: String {
        switch periods {
        case 4: "quarter"
        case 2: "half"
        default: "period"
        }
    }

    public func period(_ number: Int, in state: MatchState) -> (type: PeriodType, label: String) {
        number <= periods
            ? (.regular, "\(Self.ordinal(number)) \(regularName)")
            : (.overtime, "\(Self.ordinal(number - periods)) overtime")
    }

    public func checkStartPeriod(in state: MatchState) throws(RuleViolation) {
        guard state.periods.count >= periods, state.homeScore != state.awayScore else { return }
        let last = state.periods.last?.label ?? "the last period"
        throw RuleViolation(
            "Start Period is refused: an overtime is played only while the score is level, "
                + "and it is \(state.homeScore)-\(state.awayScore) after the \(last).")
    }

    public func checkEndPeriod(in state: MatchState) throws(RuleViolation) {}

    public func checkDecided(_ state: MatchState) throws(RuleViolation) {
        let played = state.periods.count
        guard played >= periods else {
            throw RuleViolation(
                "End Fixture is refused: only \(played) of \(periods) \(regularName)s have been played.")
        }
        guard state.homeScore == state.awayScore else { return }
        throw RuleViolation(
            "End Fixture is refused: the score is level at \(state.homeScore)-\(state.awayScore), "
                + "and a basketball match cannot end tied (start an overtime).")
    }

    public func clockStart(ofPeriod number: Int) -> (reading: ClockTime, countsDown: Bool)? {
        (ClockTime(minutes: number <= periods ? periodLength : overtimeLength), true)
    }

    /// Made shots and free throws score; a made shot or the last made free throw of an award gives the ball
    /// to the other team. A Pending shot (no outcome yet) scores nothing.
    public func apply(_ action: ResolvedAction, to state: inout MatchState) throws(RuleViolation) {
        guard let side = action.side else { return }
        switch action.definition.id {
        case Self.freeThrowsAwarded:
            guard let count = action.metadata?["count"]?.intValue, (1...3).contains(count) else {
                throw RuleViolation("Free Throws Awarded needs metadata.count, an integer from 1 to 3.")
            }
            state.sport[BasketballState.self, default: BasketballState()].freeThrowsToCome = count
        default:
            // Every made shot hands the ball over; of free throws, only the last of an award.
            var handsOver = true
            if action.definition.id == Self.freeThrow {
                var own = state.sport[BasketballState.self, default: BasketballState()]
                handsOver = own.freeThrowsToCome <= 1
                own.freeThrowsToCome = max(0, own.freeThrowsToCome - 1)
                state.sport[BasketballState.self, default: BasketballState()] = own
            }
            guard let points = action.subType.flatMap({ Self.madeShots[$0.id] }) else { return }
            state.addPoints(points, to: side)
            if handsOver { state.givePossession(to: side.other) }
        }
    }
}

/// What basketball keeps beyond the shared match state.
public struct BasketballState: Hashable, Sendable {
    /// Free throws still to come from the latest Free Throws Awarded: only the last one hands the ball over.
    public var freeThrowsToCome = 0

    public init() {}
}
