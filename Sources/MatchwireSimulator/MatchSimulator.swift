import MatchwireCore

/// Generates a whole match of a fixture the way a scout records it (pre-match actions, periods, clock,
/// play at realistic rates, Pending then Confirmed where a scout uses it, occasional corrections, End Fixture
/// and Post Match Check Complete), with timestamps following real match durations from `start`.
///
/// The same fixture, seed and start give the same actions. Every action is checked by the engine as it is
/// generated, so the match is accepted without a single refusal.
public enum MatchSimulator {
    public static func match(for fixture: Fixture, seed: UInt64, start: Timestamp) throws -> [SimulatedAction] {
        switch fixture.sport {
        case .tableTennis:
            var scout = try Scout(fixture: fixture, seed: seed, start: start, playersPerSide: (1, 0))
            try TableTennisSimulator(rules: try TableTennisRules(rulesObject: fixture.rules)).play(&scout)
            return scout.actions
        case .soccer:
            var scout = try Scout(fixture: fixture, seed: seed, start: start, playersPerSide: (11, 7))
            try SoccerSimulator(rules: try SoccerRules(rulesObject: fixture.rules)).play(&scout)
            return scout.actions
        case .basketball:
            var scout = try Scout(fixture: fixture, seed: seed, start: start, playersPerSide: (5, 7))
            try BasketballSimulator(rules: try BasketballRules(rulesObject: fixture.rules)).play(&scout)
            return scout.actions
        }
    }
}

extension [SimulatedAction] {
    /// The match moved in time so that Start Fixture is at `time`: the pre-match actions lie before it, play after.
    public func kickingOff(at time: Timestamp) -> [SimulatedAction] {
        let kickOff = first { $0.submission.actionType == .id(ActionCatalogue.startFixtureId) }?.timestamp ?? time
        return map { $0.shifted(by: time.microseconds - kickOff.microseconds) }
    }
}
