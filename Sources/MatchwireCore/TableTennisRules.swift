extension Sport {
    /// Table tennis (sports.md §4): a side is one player; the serve is the possession; each game a period.
    public static let tableTennis = Sport(
        name: "tabletennis", pathSegment: "v2/tabletennis", displayName: "Table tennis", possessionWord: "serve",
        periodWord: "game", rules: TableTennisRules.self, simulator: TableTennisSimulator.self,
        playersPerSide: (1, 0), sidesArePlayers: true,
        shortMatchRules: TableTennisRules(bestOf: 3, pointsPerGame: 3).rulesObject)
}

/// Table tennis (sports.md §4): each game is a period, won at `pointsPerGame` with a two-point lead;
/// the match is won at `(bestOf + 1) / 2` games. No clock; the serve is the possession.
public struct TableTennisRules: SetScoredRules {
    public let bestOf: Int
    public let pointsPerGame: Int

    public static let actions: [ActionDefinition] = [
        ActionDefinition(Action.pointStarted, "Point Started", team: .required, effect: .possessionToTeam),
        ActionDefinition(Action.pointScored, "Point Scored", team: .required, effect: .sport),
        ActionDefinition(Action.swapServe, "Swap Serve", team: .required, effect: .possessionToTeam),
        ActionDefinition(Action.`let`, "Let"),
        ActionDefinition(Action.yellowCard, "Yellow Card", team: .required),
        ActionDefinition(Action.penaltyPoint, "Penalty Point", team: .required, effect: .sport),
        ActionDefinition(Action.redCard, "Red Card", team: .required),
        ActionDefinition(Action.expediteStarted, "Expedite Started"),
        ActionDefinition(Action.changeEnds, "Change Ends"),
    ]

    public init(bestOf: Int = 5, pointsPerGame: Int = 11) {
        self.bestOf = bestOf
        self.pointsPerGame = pointsPerGame
    }

    public init(rulesObject: JSONValue?) throws(RuleViolation) {
        let object = try RulesObject(rulesObject)
        self.init(
            bestOf: try object.integer("bestOf", of: Self.rulesKeys),
            pointsPerGame: try object.integer("pointsPerGame", of: Self.rulesKeys))
    }

    public static let rulesKeys: [RulesKey] = [
        .integer("bestOf", oneOf: [3, 5, 7], default: 5, "Games in the match: it is won at (bestOf + 1) / 2 games."),
        .integer("pointsPerGame", 1...99, default: 11, "Points that win a game, with a two-point lead and no cap."),
    ]

    public var rulesObject: JSONValue {
        .object(["bestOf": .number(bestOf), "pointsPerGame": .number(pointsPerGame)])
    }

    /// Games are sets of `pointsPerGame` points, the deciding one too.
    public var scoring: SetScoring {
        SetScoring(bestOf: bestOf, pointsPerSet: pointsPerGame, pointsInDecidingSet: pointsPerGame, unit: "game")
    }

    /// Point Scored and Penalty Point: one point to the team in the open game; the game is credited to the
    /// match score at its winning point.
    public func apply(_ action: ResolvedAction, to state: inout MatchState) throws(RuleViolation) {
        guard let side = action.side else { return }
        try scoring.score(action, for: side, in: &state)
    }
}

extension TableTennisRules {
    /// The ids of these actions on the wire (sports.md §4), by name: what the catalogue, the simulators and
    /// the tests use, so that no id is written as a bare number twice.
    public enum Action {
        public static let pointStarted = 1101
        public static let pointScored = 1102
        public static let swapServe = 1103
        public static let `let` = 1104
        public static let yellowCard = 1105
        public static let penaltyPoint = 1106
        public static let redCard = 1107
        public static let expediteStarted = 1108
        public static let changeEnds = 1109
    }
}
