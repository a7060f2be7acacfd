/// A shootout as the simulators play it (soccer's penalties, ice hockey's): `rounds` attempts each, the sides
/// alternating, then rounds of sudden death; over as soon as one side cannot be caught, in sudden death at the end
/// of a round one side won.
struct Shootout {
    let rounds: Int
    private(set) var taken: [Side: Int] = [.home: 0, .away: 0]
    private(set) var scored: [Side: Int] = [.home: 0, .away: 0]

    init(rounds: Int) {
        self.rounds = rounds
    }

    var isDecided: Bool {
        let home = scored[.home] ?? 0
        let away = scored[.away] ?? 0
        let homeTaken = taken[.home] ?? 0
        let awayTaken = taken[.away] ?? 0
        // Sudden death: decided only after both have taken the same number of attempts.
        if homeTaken >= rounds, awayTaken >= rounds { return homeTaken == awayTaken && home != away }
        return home + (rounds - homeTaken) < away || away + (rounds - awayTaken) < home
    }

    mutating func record(_ side: Side, scored goal: Bool) {
        taken[side, default: 0] += 1
        if goal { scored[side, default: 0] += 1 }
    }
}

extension Scout {
    /// Plays a shootout period: Start Period, attempts by alternating sides (the first drawn by lot) `pause` seconds
    /// apart, each scoring with probability `chance` and sent by `attempt`, until it is decided; End Period.
    mutating func playShootout(
        rounds: Int, chance: Double, pause: ClosedRange<Double>, attempt: (inout Scout, Side, Bool) throws -> Void
    ) throws {
        try send(CommonAction.startPeriod)
        var shooter: Side = self.chance(0.5) ? .home : .away
        var shootout = Shootout(rounds: rounds)
        while !shootout.isDecided {
            wait(pause)
            let goal = self.chance(chance)
            try attempt(&self, shooter, goal)
            shootout.record(shooter, scored: goal)
            shooter = shooter.other
        }
        wait(10...30)
        try send(CommonAction.endPeriod)
    }
}
