/// Generates a whole match of a fixture the way a scout records it (pre-match actions, periods, clock,
/// play at realistic rates, Pending then Confirmed where a scout uses it, occasional corrections, End Fixture
/// and Post Match Check Complete), with timestamps following real match durations from `start`.
///
/// The same fixture, seed and start give the same actions. Every action is checked by the engine as it is
/// generated, so the match is accepted without a single refusal.
public enum MatchSimulator {
    public static func match(for fixture: Fixture, seed: UInt64, start: Timestamp) throws -> [SimulatedAction] {
        let sport = fixture.sport
        var scout = try Scout(fixture: fixture, seed: seed, start: start, playersPerSide: sport.playersPerSide)
        try sport.simulator.init(rulesObject: fixture.rules).play(&scout)
        return scout.actions
    }
}

/// One sport's generator of whole matches, named by its ``Sport`` value: it plays a match through a ``Scout``,
/// which checks every action with the engine as it is sent.
protocol SportSimulator: Sendable {
    associatedtype Rules: SportRules
    init(rules: Rules)
    func play(_ scout: inout Scout) throws
}

extension SportSimulator {
    init(rulesObject: JSONValue?) throws {
        self.init(rules: try Rules(rulesObject: rulesObject))
    }
}

extension [SimulatedAction] {
    /// The match moved in time so that Start Fixture is at `time`: the pre-match actions lie before it, play after.
    public func kickingOff(at time: Timestamp) -> [SimulatedAction] {
        let kickOff = first { $0.submission.actionType == .id(ActionCatalogue.startFixtureId) }?.timestamp ?? time
        return map { $0.shifted(by: time.microseconds - kickOff.microseconds) }
    }
}
