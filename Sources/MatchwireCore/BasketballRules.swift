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

    /// The sub types that score, and how much.
    static let madeShots = [SubType.freeThrowMade: 1, SubType.twoPointShotMade: 2, SubType.threePointShotMade: 3]

    public static let actions: [ActionDefinition] = [
        ActionDefinition(
            Action.turnover, "Turnover", team: .required, effect: .possessionToOtherTeam,
            subTypes: [
                .init(SubType.turnoverStolen, "Stolen"),
                .init(SubType.turnoverShotClockViolation, "Shot Clock Violation"),
                .init(SubType.turnoverBackCourtViolation, "Back Court Violation"),
                .init(SubType.turnoverTravelling, "Travelling"), .init(SubType.turnoverDoubleDribble, "Double Dribble"),
                .init(SubType.turnoverOutOfBounds, "Out Of Bounds"),
                .init(SubType.turnoverThreeSecondViolation, "3 Second Violation"),
            ]),
        ActionDefinition(Action.defensiveRebound, "Defensive Rebound", team: .required, effect: .possessionToTeam),
        ActionDefinition(Action.assist, "Assist", team: .required),
        ActionDefinition(Action.offensiveRebound, "Offensive Rebound", team: .required, effect: .possessionToTeam),
        ActionDefinition(Action.block, "Block", team: .required),
        ActionDefinition(
            Action.foul, "Foul", team: .required,
            subTypes: [
                .init(SubType.foulPersonal, "Personal"), .init(SubType.foulShooting, "Shooting"),
                .init(SubType.foulOffensive, "Offensive"),
                .init(SubType.foulTechnical, "Technical"), .init(SubType.foulUnsportsmanlike, "Unsportsmanlike"),
                .init(SubType.foulDisqualifying, "Disqualifying"),
            ]),
        ActionDefinition(Action.jumpBall, "Jump Ball", team: .required, effect: .possessionToTeam),
        ActionDefinition(
            Action.freeThrowsAwarded, "Free Throws Awarded", team: .required, effect: .sport,
            metadataExample: ["count": 2]),
        ActionDefinition(Action.steal, "Steal", team: .required, effect: .possessionToTeam),
        ActionDefinition(
            Action.freeThrow, "Free Throw", team: .required, effect: .sport,
            subTypes: [.init(SubType.freeThrowMade, "Made"), .init(SubType.freeThrowMissed, "Missed")],
            outcomeIsSubType: true),
        ActionDefinition(
            Action.twoPointShot, "2PT Shot", team: .required, effect: .sport,
            subTypes: [.init(SubType.twoPointShotMade, "Made"), .init(SubType.twoPointShotMissed, "Missed")],
            outcomeIsSubType: true),
        ActionDefinition(
            Action.threePointShot, "3PT Shot", team: .required, effect: .sport,
            subTypes: [.init(SubType.threePointShotMade, "Made"), .init(SubType.threePointShotMissed, "Missed")],
            outcomeIsSubType: true),
    ]

    public init(periods: Int = 4, periodLength: Int = 10, overtimeLength: Int = 5) {
        self.periods = periods
        self.periodLength = periodLength
        self.overtimeLength = overtimeLength
    }

    public init(rulesObject: JSONValue?) throws(RuleViolation) {
        let object = try RulesObject(rulesObject)
        let periods = try object.integer("periods", of: Self.rulesKeys)
        let periodLength = try object.integer("periodLength", of: Self.rulesKeys)
        let overtimeLength = try object.integer("overtimeLength", of: Self.rulesKeys)
        self.init(periods: periods, periodLength: periodLength, overtimeLength: overtimeLength)
    }

    public static let rulesKeys: [RulesKey] = [
        .integer("periods", 1...8, default: 4, "Regular periods."),
        .integer("periodLength", 1...60, default: 10, "Minutes per regular period."),
        .integer("overtimeLength", 1...30, default: 5, "Minutes per overtime."),
    ]

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
        case Action.freeThrowsAwarded:
            guard let count = action.metadata?["count"]?.intValue, (1...3).contains(count) else {
                throw RuleViolation("Free Throws Awarded needs metadata.count, an integer from 1 to 3.")
            }
            state.sport[BasketballState.self, default: BasketballState()].freeThrowsToCome = count
        default:
            // Every made shot hands the ball over; of free throws, only the last of an award.
            var handsOver = true
            if action.definition.id == Action.freeThrow {
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

extension BasketballRules {
    /// The ids of these actions on the wire (sports.md §6), by name: what the catalogue, the simulators and
    /// the tests use, so that no id is written as a bare number twice.
    public enum Action {
        public static let turnover = 201
        public static let defensiveRebound = 202
        public static let assist = 203
        public static let offensiveRebound = 204
        public static let block = 205
        public static let foul = 206
        public static let jumpBall = 207
        public static let freeThrowsAwarded = 213
        public static let steal = 222
        public static let freeThrow = 231
        public static let twoPointShot = 232
        public static let threePointShot = 233
    }

    /// The ids of their sub types, by action and name.
    public enum SubType {
        public static let turnoverStolen = 20001
        public static let turnoverShotClockViolation = 20002
        public static let turnoverBackCourtViolation = 20003
        public static let turnoverTravelling = 20004
        public static let turnoverDoubleDribble = 20005
        public static let turnoverOutOfBounds = 20006
        public static let turnoverThreeSecondViolation = 20007
        public static let foulPersonal = 20601
        public static let foulShooting = 20602
        public static let foulOffensive = 20603
        public static let foulTechnical = 20604
        public static let foulUnsportsmanlike = 20605
        public static let foulDisqualifying = 20606
        public static let freeThrowMade = 23101
        public static let freeThrowMissed = 23102
        public static let twoPointShotMade = 23201
        public static let twoPointShotMissed = 23202
        public static let threePointShotMade = 23301
        public static let threePointShotMissed = 23302
    }
}
