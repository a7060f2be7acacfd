import Foundation

/// Basketball possession by possession: two- and three-point attempts at real shooting percentages, sent
/// Pending while the ball is in the air, rebounds, turnovers and steals, fouls with free throws (and the
/// occasional and-one), timeouts, the clock stopped and restarted around them, and overtimes while level.
struct BasketballSimulator: SportSimulator {
    let rules: BasketballRules

    func play(_ scout: inout Scout) throws {
        try scout.preMatch()
        try scout.send(CommonAction.startFixture)
        var period = 1
        while period <= rules.periods || scout.state.homeScore == scout.state.awayScore {
            let length = period <= rules.periods ? rules.periodLength : rules.overtimeLength
            try playPeriod(&scout, seconds: Double(length * 60), tipOff: period == 1)
            if period < rules.periods || scout.state.homeScore == scout.state.awayScore {
                scout.wait(period == rules.periods / 2 ? 14 * 60...16 * 60 : 100...140)
            }
            period += 1
        }
        try scout.postMatch()
    }

    private func playPeriod(_ scout: inout Scout, seconds: Double, tipOff: Bool) throws {
        try scout.send(CommonAction.startPeriod)
        if tipOff {
            let winner: Side = scout.chance(0.5) ? .home : .away
            try scout.send(BasketballRules.Action.jumpBall, winner, player: scout.player(winner))
        } else {
            try scout.send(CommonAction.possessionGained, scout.chance(0.5) ? .home : .away)
        }
        try scout.send(CommonAction.startClock)
        var remaining = seconds
        while remaining > 0 {
            let offence: Side = scout.state.homeInPossession ? .home : .away
            let used = min(remaining, Double.random(in: 8...24, using: &scout.random))
            scout.wait(used)
            remaining -= used
            guard remaining > 0 else { break }
            try possession(&scout, offence)
            if scout.chance(0.02) { try timeout(&scout, scout.pick([Side.home, .away])) }
        }
        try scout.send(CommonAction.endPeriod)
    }

    /// One possession's ending: a shot, a turnover or a foul.
    private func possession(_ scout: inout Scout, _ offence: Side) throws {
        let defence = offence.other
        let roll = Double.random(in: 0..<1, using: &scout.random)
        if roll < 0.13 {
            if scout.chance(0.5) {
                try scout.send(
                    BasketballRules.Action.turnover, offence, subType: BasketballRules.SubType.turnoverStolen,
                    player: scout.player(offence))
                try scout.send(BasketballRules.Action.steal, defence, player: scout.player(defence))
            } else {
                try scout.send(
                    BasketballRules.Action.turnover, offence,
                    subType: scout.pick([
                        BasketballRules.SubType.turnoverShotClockViolation, BasketballRules.SubType.turnoverTravelling,
                        BasketballRules.SubType.turnoverDoubleDribble, BasketballRules.SubType.turnoverOutOfBounds,
                        BasketballRules.SubType.turnoverThreeSecondViolation,
                    ]))
            }
        } else if roll < 0.22 {
            try scout.send(
                BasketballRules.Action.foul, defence, subType: BasketballRules.SubType.foulPersonal,
                player: scout.player(defence))
            try freeThrows(&scout, offence, count: 2)
        } else {
            try shot(&scout, offence, three: scout.chance(0.38))
        }
    }

    /// A field goal attempt: Pending in the air, then Made or Missed; a made one may bring an and-one.
    private func shot(_ scout: inout Scout, _ offence: Side, three: Bool) throws {
        let type = three ? BasketballRules.Action.threePointShot : BasketballRules.Action.twoPointShot
        let made = scout.chance(three ? 0.34 : 0.51)
        let shooter = scout.player(offence)
        let position: JSONValue = [
            "courtPosition": [
                "x": .number(Int.random(in: -240...240, using: &scout.random)),
                "y": .number(Int.random(in: 0...400, using: &scout.random)),
                "zone": .string(three ? scout.pick(["AboveTheBreak3", "LeftCorner3", "RightCorner3"]) : "Paint"),
            ]
        ]
        let id: UUID?
        if scout.chance(0.6) {
            id = try scout.send(type, offence, player: shooter, metadata: position, sendType: .pending)
            scout.wait(1...2)
        } else {
            id = nil
        }
        let outcome =
            three
            ? (made ? BasketballRules.SubType.threePointShotMade : BasketballRules.SubType.threePointShotMissed)
            : (made ? BasketballRules.SubType.twoPointShotMade : BasketballRules.SubType.twoPointShotMissed)
        try scout.send(type, offence, subType: outcome, player: shooter, metadata: position, id: id)
        if made {
            if scout.chance(0.55) {
                try scout.send(BasketballRules.Action.assist, offence, player: scout.player(offence))
            }
            if scout.chance(0.04) {
                try scout.send(
                    BasketballRules.Action.foul, offence.other, subType: BasketballRules.SubType.foulShooting,
                    player: scout.player(offence.other))
                try freeThrows(&scout, offence, count: 1)
            }
        } else if scout.chance(three ? 0.08 : 0.12) {
            try scout.send(
                BasketballRules.Action.foul, offence.other, subType: BasketballRules.SubType.foulShooting,
                player: scout.player(offence.other))
            try freeThrows(&scout, offence, count: three ? 3 : 2)
        } else {
            if scout.chance(0.08) {
                try scout.send(BasketballRules.Action.block, offence.other, player: scout.player(offence.other))
            }
            try rebound(&scout, offence)
        }
    }

    /// The clock stopped, the free throws taken, the clock restarted; a missed last one goes to a rebound.
    private func freeThrows(_ scout: inout Scout, _ shooting: Side, count: Int) throws {
        try scout.send(CommonAction.stopClock)
        try scout.send(BasketballRules.Action.freeThrowsAwarded, shooting, metadata: ["count": .number(count)])
        let shooter = scout.player(shooting)
        var lastMade = false
        for _ in 1...count {
            scout.wait(8...20)
            lastMade = scout.chance(0.76)
            try scout.send(
                BasketballRules.Action.freeThrow, shooting,
                subType: lastMade ? BasketballRules.SubType.freeThrowMade : BasketballRules.SubType.freeThrowMissed,
                player: shooter)
        }
        if !lastMade { try rebound(&scout, shooting) }
        try scout.send(CommonAction.startClock)
    }

    private func rebound(_ scout: inout Scout, _ shooting: Side) throws {
        scout.wait(1...3)
        if scout.chance(0.72) {
            try scout.send(
                BasketballRules.Action.defensiveRebound, shooting.other, player: scout.player(shooting.other))
        } else {
            try scout.send(BasketballRules.Action.offensiveRebound, shooting, player: scout.player(shooting))
        }
    }

    private func timeout(_ scout: inout Scout, _ side: Side) throws {
        try scout.send(CommonAction.timeout, side)
        scout.wait(60...75)
        try scout.send(CommonAction.startClock)
    }
}
