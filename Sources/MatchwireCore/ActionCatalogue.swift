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
    public static let startFixtureId = 4

    /// The actions of every sport (sports.md §1).
    public static let common: [ActionDefinition] = [
        ActionDefinition(1, "Match Conditions", placement: .preMatch),
        ActionDefinition(2, "Team Colours", placement: .preMatch),
        ActionDefinition(3, "Lineups", team: .required, placement: .preMatch),
        ActionDefinition(startFixtureId, "Start Fixture", effect: .startFixture),
        ActionDefinition(5, "End Fixture", effect: .endFixture),
        ActionDefinition(6, "Start Period", placement: .newPeriod, effect: .startPeriod),
        ActionDefinition(7, "End Period", effect: .endPeriod),
        ActionDefinition(8, "Start Clock", effect: .startClock),
        ActionDefinition(9, "Stop Clock", effect: .stopClock),
        ActionDefinition(10, "Adjust Clock", effect: .adjustClock),
        ActionDefinition(13, "Substitution In", team: .required),
        ActionDefinition(14, "Substitution Out", team: .required),
        ActionDefinition(15, "Possession Gained", team: .required, effect: .possessionToTeam),
        ActionDefinition(19, "Device Location", placement: .preMatch),
        ActionDefinition(21, "Post Match Check Complete", placement: .preMatch, effect: .postMatchCheckComplete),
        ActionDefinition(22, "Status Updated", placement: .preMatch, effect: .statusUpdated),
        ActionDefinition(24, "Players Ready", placement: .preMatch),
        ActionDefinition(
            51, "Video Check Underway", team: .optional),
        ActionDefinition(52, "Timeout", team: .required, effect: .stopClock),
        ActionDefinition(56, "Match Start Delayed", placement: .preMatch),
        ActionDefinition(58, "Play Stopped", effect: .stopClock),
        ActionDefinition(
            61, "Video Check Result", team: .optional,
            subTypes: [
                ActionSubType(6101, "Goal Disallowed"), ActionSubType(6102, "Goal Allowed"),
                ActionSubType(6103, "Penalty"), ActionSubType(6104, "No Penalty"),
                ActionSubType(6105, "Red Card"), ActionSubType(6106, "No Red Card"),
            ]),
        ActionDefinition(62, "Injury", team: .optional),
        ActionDefinition(63, "Play Resumed"),
        ActionDefinition(64, "Possible Video Check"),
    ]
}
