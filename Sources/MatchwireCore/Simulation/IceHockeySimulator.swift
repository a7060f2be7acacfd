import Foundation

/// Ice hockey whistle to whistle: faceoffs, shots on goal (about 60 a game, one in ten or so a goal), missed and
/// blocked shots, icing and offside, penalties with their power plays (power-play and short-handed goals), the side
/// behind pushing harder, a goalie pulled late by a side one goal down (empty-net goals), the clock stopped at every
/// whistle and restarted at the faceoff. About a quarter of games are level after the 3rd period: a sudden-death
/// overtime, then a shootout (three rounds, then sudden death) when the rules call for them. Now and then a goal is
/// credited to the wrong side and corrected seconds later.
struct IceHockeySimulator: SportSimulator {
    let rules: IceHockeyRules

    /// How often a shot on goal beats the goalie at even strength, for a side not behind.
    static let shootingPercentage = 0.08
    /// How often a shootout attempt scores.
    static let shootoutPercentage = 0.33

    /// What ends a stretch of play.
    private enum Stoppage {
        /// Play goes on, the clock running.
        case none
        /// A whistle: the clock is stopped, a faceoff restarts play.
        case whistle
        /// A goal: the clock is stopped; in overtime it ends the period.
        case goal
    }

    /// A power play: the side with the extra skater, and when (seconds left on the clock) it ends.
    private struct PowerPlay {
        let side: Side
        let until: Int
        /// Minors end at a power-play goal; a major runs its time.
        let endsOnGoal: Bool
    }

    /// What a period in play keeps beyond the match state.
    private struct Play {
        let suddenDeath: Bool
        /// The 3rd period, when a side behind pulls its goalie late.
        let lastOfRegulation: Bool
        var powerPlay: PowerPlay?
        /// The side playing with an empty net.
        var pulled: Side?
        /// The seconds left on the clock from which a side one goal down pulls its goalie (two goals down: half as
        /// long again); -1 once it decided to keep it in.
        var pullAt: Int
    }

    func play(_ scout: inout Scout) throws {
        try scout.preMatch()
        try scout.send(CommonAction.startFixture)
        // The home side's edge in the share of the play, for this match.
        let edge = Double.random(in: -0.03...0.03, using: &scout.random)
        let regulation = IceHockeyRules.regulationPeriods
        for period in 1...regulation {
            try playPeriod(&scout, seconds: rules.periodLength * 60, edge: edge, lastOfRegulation: period == regulation)
            if period < regulation { scout.wait(17 * 60...18 * 60) }
        }
        if rules.overtime, scout.state.homeScore == scout.state.awayScore {
            scout.wait(60...180)
            try playPeriod(&scout, seconds: rules.overtimeLength * 60, edge: edge, suddenDeath: true)
        }
        if rules.shootout, scout.state.homeScore == scout.state.awayScore {
            scout.wait(60...180)
            try shootout(&scout)
        }
        try scout.postMatch()
    }

    /// A period from its opening faceoff to 00:00, or in overtime to the first goal.
    private func playPeriod(
        _ scout: inout Scout, seconds: Int, edge: Double, lastOfRegulation: Bool = false, suddenDeath: Bool = false
    ) throws {
        try scout.send(CommonAction.startPeriod)
        var play = Play(
            suddenDeath: suddenDeath, lastOfRegulation: lastOfRegulation, powerPlay: nil, pulled: nil,
            pullAt: Int.random(in: 60...120, using: &scout.random))
        try restart(&scout)
        var remaining = seconds
        // Whole seconds while the clock runs, so that the engine's clock and `remaining` agree to the second.
        while remaining > 0 {
            let used = min(remaining, Int.random(in: suddenDeath ? 5...25 : 6...40, using: &scout.random))
            scout.wait(Double(used))
            remaining -= used
            if let powerPlay = play.powerPlay, remaining <= powerPlay.until { play.powerPlay = nil }
            guard remaining > 0 else { break }
            if play.lastOfRegulation, play.pulled == nil { try considerPullingTheGoalie(&scout, &play, remaining) }
            let stoppage = try event(&scout, &play, edge: edge, remaining: remaining)
            if stoppage == .goal, suddenDeath {
                scout.wait(10...30)
                break
            }
            if stoppage != .none { try restart(&scout) }
        }
        try scout.send(CommonAction.endPeriod)
    }

    /// The puck dropped: the clock started, the faceoff won.
    private func restart(_ scout: inout Scout) throws {
        try scout.send(CommonAction.startClock)
        let winner: Side = scout.chance(0.5) ? .home : .away
        try scout.send(IceHockeyRules.Action.faceoffWon, winner, player: scout.player(winner))
    }

    /// What ends one stretch of play: a penalty, icing, offside or a shot attempt.
    private func event(_ scout: inout Scout, _ play: inout Play, edge: Double, remaining: Int) throws -> Stoppage {
        let homeShare = Self.homeShare(scout.state, play, edge: edge)
        let attacking: Side = scout.chance(homeShare) ? .home : .away
        let roll = Double.random(in: 0..<1, using: &scout.random)
        if roll < (play.suddenDeath ? 0.02 : 0.045), play.powerPlay == nil, play.pulled == nil {
            try penalty(&scout, &play, remaining: remaining)
            return .whistle
        }
        if roll < 0.13 {
            // The side hemmed in ices the puck.
            try scout.send(IceHockeyRules.Action.icing, attacking.other)
            try scout.send(CommonAction.stopClock)
            scout.wait(20...40)
            return .whistle
        }
        if roll < 0.21 {
            try scout.send(IceHockeyRules.Action.offside, attacking)
            try scout.send(CommonAction.stopClock)
            scout.wait(20...40)
            return .whistle
        }
        return try shot(&scout, &play, attacking)
    }

    /// A shot attempt: on goal (saved, frozen by the goalie, or a goal), missed, or blocked.
    private func shot(_ scout: inout Scout, _ play: inout Play, _ shooting: Side) throws -> Stoppage {
        let shooter = scout.player(shooting)
        let outcome = Double.random(in: 0..<1, using: &scout.random)
        if outcome < 0.50 {
            try scout.send(IceHockeyRules.Action.shotOnGoal, shooting, player: shooter)
            if scout.chance(Self.goalChance(shooting, scout.state, play)) {
                try goal(&scout, &play, shooting, scorer: shooter)
                return .goal
            }
            if scout.chance(0.35) {
                // The goalie covers the puck.
                try scout.send(CommonAction.stopClock)
                scout.wait(15...35)
                return .whistle
            }
        } else if outcome < 0.72 {
            try scout.send(IceHockeyRules.Action.shotMissed, shooting, player: shooter)
        } else {
            try scout.send(IceHockeyRules.Action.shotBlocked, shooting.other, player: scout.player(shooting.other))
        }
        return .none
    }

    /// The home side's share of the shots: the extra skater (a power play or an empty net) takes three in four;
    /// otherwise the side behind pushes and the side ahead sits back, more so in the 3rd period.
    private static func homeShare(_ state: MatchState, _ play: Play, edge: Double) -> Double {
        if let pulled = play.pulled { return pulled == .home ? 0.75 : 0.25 }
        if let powerPlay = play.powerPlay { return powerPlay.side == .home ? 0.75 : 0.25 }
        guard !play.suddenDeath else { return 0.5 + edge }
        let lead = max(-2, min(2, state.homeScore - state.awayScore))
        return 0.5 + edge - (play.lastOfRegulation ? 0.08 : 0.06) * Double(lead)
    }

    /// How often a shot on goal by `shooting` scores now: always into an empty net.
    private static func goalChance(_ shooting: Side, _ state: MatchState, _ play: Play) -> Double {
        if play.pulled == shooting.other { return 1 }
        if let powerPlay = play.powerPlay { return powerPlay.side == shooting ? 0.13 : 0.08 }
        if play.pulled == shooting { return 0.11 }
        if play.suddenDeath { return 0.12 }
        let behind = shooting == .home ? state.homeScore < state.awayScore : state.awayScore < state.homeScore
        return shootingPercentage + (behind ? 0.015 : 0)
    }

    /// A goal, its kind from the situation (now and then credited to the wrong side and corrected), the clock
    /// stopped, a goalie pulled back for the faceoff, and the celebration.
    private func goal(_ scout: inout Scout, _ play: inout Play, _ side: Side, scorer: PlayerRef) throws {
        let subType: Int
        if play.pulled == side.other {
            subType = IceHockeyRules.SubType.goalEmptyNet
        } else if let powerPlay = play.powerPlay {
            subType =
                powerPlay.side == side ? IceHockeyRules.SubType.goalPowerPlay : IceHockeyRules.SubType.goalShortHanded
        } else {
            subType = IceHockeyRules.SubType.goalEvenStrength
        }
        if !play.suddenDeath, scout.chance(0.03) {
            let wrong = try scout.send(
                IceHockeyRules.Action.goal, side.other, subType: subType, player: scout.player(side.other))
            try scout.send(CommonAction.stopClock)
            scout.wait(5...20)
            try scout.send(
                IceHockeyRules.Action.goal, side, subType: subType, player: scorer, sendType: .updated, id: wrong)
        } else {
            try scout.send(IceHockeyRules.Action.goal, side, subType: subType, player: scorer)
            try scout.send(CommonAction.stopClock)
        }
        if let powerPlay = play.powerPlay, powerPlay.side == side, powerPlay.endsOnGoal { play.powerPlay = nil }
        if let pulled = play.pulled {
            try scout.send(IceHockeyRules.Action.goalieReturned, pulled)
            play.pulled = nil
            play.pullAt = Int.random(in: 40...90, using: &scout.random)
        }
        scout.wait(40...80)
    }

    /// Late in the 3rd period a side one goal down usually pulls its goalie for an extra skater; two down, now and
    /// then, a little earlier.
    private func considerPullingTheGoalie(_ scout: inout Scout, _ play: inout Play, _ remaining: Int) throws {
        let lead = scout.state.homeScore - scout.state.awayScore
        let deficit = abs(lead)
        guard deficit == 1 || deficit == 2,
            Double(remaining) <= Double(play.pullAt) * (deficit == 1 ? 1 : 1.5)
        else { return }
        let trailing: Side = lead > 0 ? .away : .home
        if scout.chance(deficit == 1 ? 0.85 : 0.4) {
            try scout.send(IceHockeyRules.Action.goaliePulled, trailing, player: scout.player(trailing))
            play.pulled = trailing
        } else {
            play.pullAt = -1
        }
    }

    /// A penalty called at a whistle: mostly minors; all but a misconduct give the other side a power play.
    private func penalty(_ scout: inout Scout, _ play: inout Play, remaining: Int) throws {
        let penalised: Side = scout.chance(0.5) ? .home : .away
        let penalty: (subType: Int, minutes: Int)
        switch Int.random(in: 0..<200, using: &scout.random) {
        case 0..<170: penalty = (IceHockeyRules.SubType.penaltyMinor, 2)
        case 170..<184: penalty = (IceHockeyRules.SubType.penaltyDoubleMinor, 4)
        case 184..<194: penalty = (IceHockeyRules.SubType.penaltyMajor, 5)
        case 194..<199: penalty = (IceHockeyRules.SubType.penaltyMisconduct, 10)
        default: penalty = (IceHockeyRules.SubType.penaltyMatchPenalty, 5)
        }
        try scout.send(
            IceHockeyRules.Action.penalty, penalised, subType: penalty.subType, player: scout.player(penalised),
            metadata: ["minutes": .number(penalty.minutes)])
        try scout.send(CommonAction.stopClock)
        if penalty.subType != IceHockeyRules.SubType.penaltyMisconduct {
            let minor = [IceHockeyRules.SubType.penaltyMinor, IceHockeyRules.SubType.penaltyDoubleMinor]
            play.powerPlay = PowerPlay(
                side: penalised.other, until: remaining - penalty.minutes * 60,
                endsOnGoal: minor.contains(penalty.subType))
        }
        scout.wait(30...60)
    }

    /// Three attempts each, alternating, then sudden death, stopping as soon as one side is ahead for good.
    private func shootout(_ scout: inout Scout) throws {
        try scout.playShootout(rounds: 3, chance: Self.shootoutPercentage, pause: 30...60) { scout, shooter, goal in
            try scout.send(
                IceHockeyRules.Action.shootoutAttempt, shooter,
                subType: goal
                    ? IceHockeyRules.SubType.shootoutAttemptScored : IceHockeyRules.SubType.shootoutAttemptMissed,
                player: scout.player(shooter))
        }
    }
}
