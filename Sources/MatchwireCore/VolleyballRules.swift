extension Sport {
    /// Volleyball (sports.md §7): the serve is the possession; each set a period.
    public static let volleyball = Sport(
        name: "volleyball", pathSegment: "v2/volleyball", displayName: "Volleyball", possessionWord: "serve",
        periodWord: "set", rules: VolleyballRules.self, simulator: VolleyballSimulator.self, playersPerSide: (6, 6),
        shortMatchRules: VolleyballRules(bestOf: 3, pointsPerSet: 5, pointsInDecidingSet: 5).rulesObject)
}

/// Indoor volleyball, rally-point scoring (sports.md §7): each set is a period, won at `pointsPerSet` (the
/// deciding set at `pointsInDecidingSet`) with a two-point lead and no cap; the match is won at
/// `(bestOf + 1) / 2` sets. The side that wins a rally serves the next. No clock.
public struct VolleyballRules: SetScoredRules {
    public let bestOf: Int
    public let pointsPerSet: Int
    public let pointsInDecidingSet: Int

    public static let actions: [ActionDefinition] = [
        ActionDefinition(Action.serve, "Serve", team: .required, effect: .possessionToTeam),
        ActionDefinition(
            Action.pointScored, "Point Scored", team: .required, effect: .sport,
            subTypes: [
                .init(SubType.pointScoredAttack, "Attack"), .init(SubType.pointScoredBlock, "Block"),
                .init(SubType.pointScoredAce, "Ace"), .init(SubType.pointScoredOpponentError, "Opponent Error"),
            ]),
        ActionDefinition(Action.penaltyPoint, "Penalty Point", team: .required, effect: .sport),
        ActionDefinition(Action.yellowCard, "Yellow Card", team: .required),
        ActionDefinition(Action.redCard, "Red Card", team: .required),
        ActionDefinition(Action.technicalTimeout, "Technical Timeout"),
        ActionDefinition(Action.changeEnds, "Change Ends"),
    ]

    public init(bestOf: Int = 5, pointsPerSet: Int = 25, pointsInDecidingSet: Int = 15) {
        self.bestOf = bestOf
        self.pointsPerSet = pointsPerSet
        self.pointsInDecidingSet = pointsInDecidingSet
    }

    public init(rulesObject: JSONValue?) throws(RuleViolation) {
        let object = try RulesObject(rulesObject)
        self.init(
            bestOf: try object.integer("bestOf", of: Self.rulesKeys),
            pointsPerSet: try object.integer("pointsPerSet", of: Self.rulesKeys),
            pointsInDecidingSet: try object.integer("pointsInDecidingSet", of: Self.rulesKeys))
    }

    public static let rulesKeys: [RulesKey] = [
        .integer(
            "bestOf", oneOf: [3, 5], default: 5, "Sets in the match at most: it is won at (bestOf + 1) / 2 sets."),
        .integer("pointsPerSet", 5...50, default: 25, "Points that win a set, with a two-point lead and no cap."),
        .integer("pointsInDecidingSet", 5...50, default: 15, "Points that win the deciding set (number bestOf)."),
    ]

    public var rulesObject: JSONValue {
        .object([
            "bestOf": .number(bestOf), "pointsPerSet": .number(pointsPerSet),
            "pointsInDecidingSet": .number(pointsInDecidingSet),
        ])
    }

    public var scoring: SetScoring {
        SetScoring(bestOf: bestOf, pointsPerSet: pointsPerSet, pointsInDecidingSet: pointsInDecidingSet, unit: "set")
    }

    /// Point Scored and Penalty Point: one point to the team in the open set, credited to the match at the set's
    /// winning point; the team that won the rally serves next.
    public func apply(_ action: ResolvedAction, to state: inout MatchState) throws(RuleViolation) {
        guard let side = action.side else { return }
        try scoring.score(action, for: side, in: &state)
        state.givePossession(to: side)
    }
}

extension VolleyballRules {
    /// The ids of these actions on the wire (sports.md §7), by name.
    public enum Action {
        public static let serve = 1201
        public static let pointScored = 1202
        public static let penaltyPoint = 1203
        public static let yellowCard = 1204
        public static let redCard = 1205
        public static let technicalTimeout = 1206
        public static let changeEnds = 1207
    }

    /// The ids of their sub types, by action and name.
    public enum SubType {
        public static let pointScoredAttack = 120201
        public static let pointScoredBlock = 120202
        public static let pointScoredAce = 120203
        public static let pointScoredOpponentError = 120204
    }
}
