/// Soccer in possession phases of half a minute or so: safe possession, attacks, dangerous attacks, shots,
/// corners, free kicks, throw-ins, cards, second-half substitutions and about two to three goals a match,
/// now and then one disallowed after a video check. Extra time and a shootout when the rules call for them.
struct SoccerSimulator: SportSimulator {
    let rules: SoccerRules

    func play(_ scout: inout Scout) throws {
        try scout.preMatch()
        try scout.send(CommonAction.startFixture)
        var kickOff: Side = scout.chance(0.5) ? .home : .away
        var substitutions: [Side: Int] = [.home: 0, .away: 0]
        for half in 1...2 {
            try playPeriod(&scout, minutes: rules.periodLength, kickOff: kickOff, substitutions: &substitutions)
            kickOff = kickOff.other
            if half == 1 { scout.wait(14 * 60...16 * 60) }
        }
        if rules.extraTime, scout.state.homeScore == scout.state.awayScore {
            for _ in 1...2 {
                scout.wait(4 * 60...6 * 60)
                try playPeriod(&scout, minutes: rules.extraTimeLength, kickOff: kickOff, substitutions: &substitutions)
                kickOff = kickOff.other
            }
        }
        if rules.penaltyShootout, scout.state.homeScore == scout.state.awayScore {
            scout.wait(5 * 60...8 * 60)
            try shootout(&scout)
        }
        try scout.postMatch()
    }

    private func playPeriod(
        _ scout: inout Scout, minutes: Int, kickOff: Side, substitutions: inout [Side: Int]
    ) throws {
        try scout.send(CommonAction.startPeriod)
        try scout.send(CommonAction.startClock)
        try scout.send(SoccerRules.Action.kickOff, kickOff, player: scout.player(kickOff))
        let stoppage = Double.random(in: 60...300, using: &scout.random)
        let end = Double(minutes * 60) + stoppage
        var played = 0.0
        while played < end {
            let phase = Double.random(in: 20...50, using: &scout.random)
            played += phase
            let attacking: Side = scout.chance(0.52) ? .home : .away
            try possessionPhase(&scout, attacking, seconds: phase)
            if scout.state.periods.count >= 2, scout.chance(0.025) {
                try substitute(&scout, substitutions: &substitutions)
            }
        }
        try scout.send(CommonAction.endPeriod)
    }

    /// One phase of possession, ending in nothing much, a set piece, a card or a goal. It lasts `seconds`, or
    /// longer when a shot leads to a corner, a goal kick or a goal.
    private func possessionPhase(_ scout: inout Scout, _ side: Side, seconds: Double) throws {
        let defending = side.other
        let end = scout.later(by: seconds)
        defer { scout.wait(until: end) }
        try scout.send(SoccerRules.Action.safe, side)
        scout.wait(seconds * 0.4)
        if scout.chance(0.1) { try scout.send(SoccerRules.Action.throwInTaken, side) }
        guard scout.chance(0.5) else { return }
        try scout.send(SoccerRules.Action.attack, side)
        scout.wait(seconds * 0.3)
        if scout.chance(0.12) {
            try scout.send(SoccerRules.Action.freeKick, side)
            if scout.chance(0.25) {
                try scout.send(SoccerRules.Action.yellowCard, defending, player: scout.player(defending))
            }
            if scout.chance(0.01) {
                try scout.send(
                    SoccerRules.Action.redCard, defending, subType: SoccerRules.SubType.redCardStraightRed,
                    player: scout.player(defending))
            }
        }
        if scout.chance(0.05) { try scout.send(SoccerRules.Action.offside, side) }
        guard scout.chance(0.5) else { return }
        try scout.send(SoccerRules.Action.dangerousAttack, side)
        scout.wait(seconds * 0.15)
        guard scout.chance(0.55) else { return }
        let shooter = scout.player(side)
        if scout.chance(0.45) {
            try scout.send(SoccerRules.Action.shotOnTarget, side, player: shooter)
            if scout.chance(0.27) {
                try goal(&scout, side, scorer: shooter)
            } else if scout.chance(0.35) {
                scout.wait(2...5)
                try scout.send(SoccerRules.Action.corner, side)
            }
        } else {
            try scout.send(SoccerRules.Action.shotOffTarget, side, player: shooter)
            scout.wait(5...15)
            try scout.send(SoccerRules.Action.goalKick, defending)
        }
        scout.wait(seconds * 0.15)
    }

    /// A goal (now and then an own goal or a penalty), sometimes disallowed after a video check, then kick-off.
    private func goal(_ scout: inout Scout, _ side: Side, scorer: PlayerRef) throws {
        let subType: Int
        if scout.chance(0.03) {
            subType = SoccerRules.SubType.goalOwnGoal
        } else if scout.chance(0.1) {
            try scout.send(SoccerRules.Action.penaltyAwarded, side, subType: SoccerRules.SubType.penaltyAwardedFoul)
            scout.wait(30...90)
            subType = SoccerRules.SubType.goalPenalty
        } else {
            subType = scout.pick([
                SoccerRules.SubType.goalShot, SoccerRules.SubType.goalShot, SoccerRules.SubType.goalHeader,
            ])
        }
        scout.wait(1...3)
        let goal = try scout.send(SoccerRules.Action.goal, side, subType: subType, player: scorer)
        scout.wait(20...40)
        if scout.chance(0.08) {
            try scout.send(CommonAction.possibleVideoCheck)
            scout.wait(10...30)
            try scout.send(CommonAction.videoCheckUnderway)
            scout.wait(60...150)
            try scout.send(
                SoccerRules.Action.goal, side, subType: subType, player: scorer, sendType: .deleted, id: goal)
            try scout.send(
                CommonAction.videoCheckResult, subType: CommonSubType.videoCheckResultGoalDisallowed, related: [goal])
            scout.wait(10...30)
            try scout.send(SoccerRules.Action.freeKick, side.other)
        } else {
            scout.wait(20...50)
            try scout.send(SoccerRules.Action.kickOff, side.other, player: scout.player(side.other))
        }
    }

    /// A second-half substitution for a side that still has one (five per side at most).
    private func substitute(_ scout: inout Scout, substitutions: inout [Side: Int]) throws {
        let side: Side = scout.chance(0.5) ? .home : .away
        guard let lineup = scout.lineups[side], let made = substitutions[side], made < 5,
            made < lineup.players.count - lineup.startingCount
        else { return }
        let off = lineup.players[made % lineup.startingCount]
        let on = lineup.players[lineup.startingCount + made]
        try scout.send(CommonAction.substitutionOut, side, player: off.reference)
        try scout.send(CommonAction.substitutionIn, side, player: on.reference)
        substitutions[side] = made + 1
    }

    /// Five kicks each, then sudden death, stopping as soon as one side cannot be caught.
    private func shootout(_ scout: inout Scout) throws {
        try scout.playShootout(rounds: 5, chance: 0.75, pause: 40...70) { scout, kicker, goal in
            try scout.send(
                SoccerRules.Action.shootoutKick, kicker,
                subType: goal ? SoccerRules.SubType.shootoutKickScored : SoccerRules.SubType.shootoutKickMissed,
                player: scout.player(kicker))
        }
    }
}
