/// A sport served by Matchwire: its path segment, its catalogue and its rules.
public enum Sport: String, Sendable, CaseIterable, Codable {
    case tableTennis = "tabletennis"
    case soccer
    case basketball

    /// The `{S}` segment of REST, stream and ingest paths.
    public var pathSegment: String {
        switch self {
        case .tableTennis: "v2/tabletennis"
        case .soccer: "soccer"
        case .basketball: "basketball"
        }
    }

    /// The sport's name for people (the match centre, scoreboards).
    public var displayName: String {
        switch self {
        case .tableTennis: "Table tennis"
        case .soccer: "Soccer"
        case .basketball: "Basketball"
        }
    }

    /// What the side about to play is said to have: the serve or possession.
    public var possessionWord: String {
        switch self {
        case .tableTennis: "serve"
        case .soccer, .basketball: "possession"
        }
    }

    /// What a period of play is called.
    public var periodWord: String {
        switch self {
        case .tableTennis: "game"
        case .soccer: "half"
        case .basketball: "quarter"
        }
    }

    public var rulesType: any SportRules.Type {
        switch self {
        case .tableTennis: TableTennisRules.self
        case .soccer: SoccerRules.self
        case .basketball: BasketballRules.self
        }
    }

    /// Every action the sport accepts, common ones included.
    public var catalogue: ActionCatalogue {
        switch self {
        case .tableTennis: Self.tableTennisCatalogue
        case .soccer: Self.soccerCatalogue
        case .basketball: Self.basketballCatalogue
        }
    }

    private static let tableTennisCatalogue = ActionCatalogue(sportActions: TableTennisRules.actions)
    private static let soccerCatalogue = ActionCatalogue(sportActions: SoccerRules.actions)
    private static let basketballCatalogue = ActionCatalogue(sportActions: BasketballRules.actions)

    /// Reads the rules object of a fixture of this sport, defaults filled in.
    public func rules(_ rulesObject: JSONValue?) throws(RuleViolation) -> any SportRules {
        try rulesType.init(rulesObject: rulesObject)
    }

    /// The sport named as in fixture objects and token entitlements (`tabletennis`).
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
