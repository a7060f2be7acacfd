/// A sport served by Matchwire, as one value: its names, its path segment, its rules with their catalogue, its
/// simulator, and the words a scoreboard and the match centre use. Every sport is listed once, in
/// ``Sport/allCases`` (Sports.swift); everything else (routes, streams, tokens, the demo, `simulate`, `tail`,
/// import, the property tests, the match centre's `sports.json`) iterates that list. A sport's value is defined
/// beside its rules (`extension Sport { static let soccer = ... }` in SoccerRules.swift).
public struct Sport: Sendable, Hashable, CaseIterable, RawRepresentable, Codable, CustomStringConvertible {
    /// The sport's name in fixture objects, token entitlements and the command line (`tabletennis`).
    public let rawValue: String
    /// The `{S}` segment of REST, stream and ingest paths (`v2/tabletennis`).
    public let pathSegment: String
    /// The sport's name for people (the match centre, scoreboards).
    public let displayName: String
    /// What the side about to play is said to have: `serve` or `possession`.
    public let possessionWord: String
    /// What a period of play is called: `game`, `set`, `half`, `quarter`, `period`.
    public let periodWord: String
    /// The sport's rules: its catalogue of actions, its rules object, scoring and periods.
    public let rulesType: any SportRules.Type
    /// Every action the sport accepts, common ones included.
    public let catalogue: ActionCatalogue
    /// The rules the demo plays with (the richest the sport has: extra time, say); nil for the defaults.
    public let demoRules: JSONValue?
    /// The rules of a short match that still reaches every part of the rules (extra time, a deciding set): what
    /// the property tests play, so that a few hundred random actions cross periods and finish matches.
    public let shortMatchRules: JSONValue?
    /// Its simulator, and the players each side names in a generated match.
    let simulator: any SportSimulator.Type
    let playersPerSide: (starting: Int, substitutes: Int)
    /// Whether a side is one player (table tennis: the generated names are people's) or a club.
    public let sidesArePlayers: Bool

    init(
        name: String, pathSegment: String, displayName: String, possessionWord: String, periodWord: String,
        rules: any SportRules.Type, simulator: any SportSimulator.Type,
        playersPerSide: (starting: Int, substitutes: Int), sidesArePlayers: Bool = false, demoRules: JSONValue? = nil,
        shortMatchRules: JSONValue? = nil
    ) {
        self.rawValue = name
        self.pathSegment = pathSegment
        self.displayName = displayName
        self.possessionWord = possessionWord
        self.periodWord = periodWord
        self.rulesType = rules
        self.catalogue = ActionCatalogue(sportActions: rules.actions)
        self.simulator = simulator
        self.playersPerSide = playersPerSide
        self.sidesArePlayers = sidesArePlayers
        self.demoRules = demoRules
        self.shortMatchRules = shortMatchRules ?? demoRules
    }

    /// The registered sport with this name.
    public init?(rawValue: String) {
        guard let sport = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = sport
    }

    /// The sport named as in fixture objects and token entitlements (`tabletennis`), in any case.
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Reads the rules object of a fixture of this sport, defaults filled in.
    public func rules(_ rulesObject: JSONValue?) throws(RuleViolation) -> any SportRules {
        try rulesType.init(rulesObject: rulesObject)
    }

    public var description: String { rawValue }

    // A sport is its name: two values with one name are one sport.
    public static func == (lhs: Sport, rhs: Sport) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let sport = Sport(rawValue: name) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(name)' is not a sport of this server"))
        }
        self = sport
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
