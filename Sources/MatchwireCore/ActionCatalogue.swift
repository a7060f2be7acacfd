/// Whether an action names a team.
public enum TeamRequirement: Sendable {
    case none
    case required
    case optional
}

/// Which period an action is filed under.
public enum PeriodPlacement: Sendable {
    /// Pre-match and administrative actions: period 0, allowed at any time.
    case preMatch
    /// The period in play (the latest started, 1 before the first).
    case current
    /// The period that this action opens (Start Period).
    case newPeriod
}

/// What an action does to the fixture summary. Common effects are applied by `CommonRules`;
/// `.sport` hands the action to the sport's own rules.
public enum ActionEffect: Sendable {
    case none
    case startFixture
    case endFixture
    case startPeriod
    case endPeriod
    case startClock
    case stopClock
    case adjustClock
    /// Possession (or serve) to the action's team.
    case possessionToTeam
    /// Possession to the team the action does not name (a turnover).
    case possessionToOtherTeam
    case postMatchCheckComplete
    case statusUpdated
    case sport
}

/// One sub type of an action, such as 10404 Own Goal.
public struct ActionSubType: Sendable, Hashable {
    public let id: Int
    public let name: String

    public init(_ id: Int, _ name: String) {
        self.id = id
        self.name = name
    }
}

/// One entry of an action catalogue: how an action is named and numbered on the wire and what it needs.
public struct ActionDefinition: Sendable, Hashable {
    public let id: Int
    public let name: String
    public let team: TeamRequirement
    public let placement: PeriodPlacement
    public let effect: ActionEffect
    public let subTypes: [ActionSubType]
    /// The sub type is the action's outcome (a shot's Made or Missed): Confirmed and Updated packets must name
    /// one, Pending packets may leave it out while the outcome is not known.
    public let outcomeIsSubType: Bool
    /// The metadata the action needs to be accepted, as an example (Free Throws Awarded: `{"count": 2}`); nil
    /// when it needs none. Generated actions (the property tests) send it.
    public let metadataExample: JSONValue?

    public init(
        _ id: Int, _ name: String, team: TeamRequirement = .none, placement: PeriodPlacement = .current,
        effect: ActionEffect = .none, subTypes: [ActionSubType] = [], outcomeIsSubType: Bool = false,
        metadataExample: JSONValue? = nil
    ) {
        self.id = id
        self.name = name
        self.team = team
        self.placement = placement
        self.effect = effect
        self.subTypes = subTypes
        self.outcomeIsSubType = outcomeIsSubType
        self.metadataExample = metadataExample
    }

    /// The sub types as a reader would list them: "23201 Made or 23202 Missed".
    public var subTypeList: String {
        subTypes.map { "\($0.id) \($0.name)" }.joined(separator: " or ")
    }

    public static func == (lhs: ActionDefinition, rhs: ActionDefinition) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

/// The actions a sport accepts: the common ones shared by every sport plus the sport's own, looked up by
/// id or by name.
public struct ActionCatalogue: Sendable {
    public let definitions: [ActionDefinition]
    private let byId: [Int: ActionDefinition]
    private let byName: [String: ActionDefinition]

    public init(sportActions: [ActionDefinition]) {
        definitions = Self.common + sportActions
        byId = Dictionary(uniqueKeysWithValues: definitions.map { ($0.id, $0) })
        byName = Dictionary(uniqueKeysWithValues: definitions.map { ($0.name.lowercased(), $0) })
    }

    public func definition(id: Int) -> ActionDefinition? { byId[id] }
    public func definition(name: String) -> ActionDefinition? { byName[name.lowercased()] }

    /// The id of Start Fixture, where play begins.
    public static let startFixtureId = CommonAction.startFixture

    /// The actions of every sport (sports.md §1).
    public static let common: [ActionDefinition] = [
        ActionDefinition(CommonAction.matchConditions, "Match Conditions", placement: .preMatch),
        ActionDefinition(CommonAction.teamColours, "Team Colours", placement: .preMatch),
        ActionDefinition(CommonAction.lineups, "Lineups", team: .required, placement: .preMatch),
        ActionDefinition(CommonAction.startFixture, "Start Fixture", effect: .startFixture),
        ActionDefinition(CommonAction.endFixture, "End Fixture", effect: .endFixture),
        ActionDefinition(CommonAction.startPeriod, "Start Period", placement: .newPeriod, effect: .startPeriod),
        ActionDefinition(CommonAction.endPeriod, "End Period", effect: .endPeriod),
        ActionDefinition(CommonAction.startClock, "Start Clock", effect: .startClock),
        ActionDefinition(CommonAction.stopClock, "Stop Clock", effect: .stopClock),
        ActionDefinition(CommonAction.adjustClock, "Adjust Clock", effect: .adjustClock),
        ActionDefinition(CommonAction.substitutionIn, "Substitution In", team: .required),
        ActionDefinition(CommonAction.substitutionOut, "Substitution Out", team: .required),
        ActionDefinition(
            CommonAction.possessionGained, "Possession Gained", team: .required, effect: .possessionToTeam),
        ActionDefinition(CommonAction.deviceLocation, "Device Location", placement: .preMatch),
        ActionDefinition(
            CommonAction.postMatchCheckComplete, "Post Match Check Complete", placement: .preMatch,
            effect: .postMatchCheckComplete),
        ActionDefinition(CommonAction.statusUpdated, "Status Updated", placement: .preMatch, effect: .statusUpdated),
        ActionDefinition(CommonAction.playersReady, "Players Ready", placement: .preMatch),
        ActionDefinition(
            CommonAction.videoCheckUnderway, "Video Check Underway", team: .optional),
        ActionDefinition(CommonAction.timeout, "Timeout", team: .required, effect: .stopClock),
        ActionDefinition(CommonAction.matchStartDelayed, "Match Start Delayed", placement: .preMatch),
        ActionDefinition(CommonAction.playStopped, "Play Stopped", effect: .stopClock),
        ActionDefinition(
            CommonAction.videoCheckResult, "Video Check Result", team: .optional,
            subTypes: [
                ActionSubType(CommonSubType.videoCheckResultGoalDisallowed, "Goal Disallowed"),
                ActionSubType(CommonSubType.videoCheckResultGoalAllowed, "Goal Allowed"),
                ActionSubType(CommonSubType.videoCheckResultPenalty, "Penalty"),
                ActionSubType(CommonSubType.videoCheckResultNoPenalty, "No Penalty"),
                ActionSubType(CommonSubType.videoCheckResultRedCard, "Red Card"),
                ActionSubType(CommonSubType.videoCheckResultNoRedCard, "No Red Card"),
            ]),
        ActionDefinition(CommonAction.injury, "Injury", team: .optional),
        ActionDefinition(CommonAction.playResumed, "Play Resumed"),
        ActionDefinition(CommonAction.possibleVideoCheck, "Possible Video Check"),
    ]
}

/// The ids of these actions on the wire (sports.md §1), by name: what the catalogue, the simulators and
/// the tests use, so that no id is written as a bare number twice.
public enum CommonAction {
    public static let matchConditions = 1
    public static let teamColours = 2
    public static let lineups = 3
    public static let startFixture = 4
    public static let endFixture = 5
    public static let startPeriod = 6
    public static let endPeriod = 7
    public static let startClock = 8
    public static let stopClock = 9
    public static let adjustClock = 10
    public static let substitutionIn = 13
    public static let substitutionOut = 14
    public static let possessionGained = 15
    public static let deviceLocation = 19
    public static let postMatchCheckComplete = 21
    public static let statusUpdated = 22
    public static let playersReady = 24
    public static let videoCheckUnderway = 51
    public static let timeout = 52
    public static let matchStartDelayed = 56
    public static let playStopped = 58
    public static let videoCheckResult = 61
    public static let injury = 62
    public static let playResumed = 63
    public static let possibleVideoCheck = 64
}

/// The ids of their sub types, by action and name.
public enum CommonSubType {
    public static let videoCheckResultGoalDisallowed = 6101
    public static let videoCheckResultGoalAllowed = 6102
    public static let videoCheckResultPenalty = 6103
    public static let videoCheckResultNoPenalty = 6104
    public static let videoCheckResultRedCard = 6105
    public static let videoCheckResultNoRedCard = 6106
}
