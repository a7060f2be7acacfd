/// Volleyball rally by rally: the side that wins a rally serves the next, the receiving side wins a little more
/// often (a side-out), one side is a little stronger in most matches (so four sets are the most common, with
/// about 45 points a set), a card now and then, and now and then a point given to the wrong side and corrected
/// seconds later.
struct VolleyballSimulator: SportSimulator {
    let rules: VolleyballRules

    /// How often the serving side wins the rally between even sides.
    static let serveWins = 0.40

    func play(_ scout: inout Scout) throws {
        try scout.preMatch()
        try scout.send(CommonAction.startFixture)
        // The home side's edge per rally, for this match.
        let edge = Double.random(in: -0.05...0.05, using: &scout.random)
        var server: Side = scout.chance(0.5) ? .home : .away
        while rules.matchWinner(scout.state) == nil {
            scout.wait(5...20)
            try scout.send(CommonAction.startPeriod)
            if scout.state.periods.count > 1 { try scout.send(VolleyballRules.Action.changeEnds) }
            try playSet(&scout, server: &server, edge: edge)
            scout.wait(2...6)
            try scout.send(CommonAction.endPeriod)
            scout.wait(150...200)
        }
        try scout.postMatch()
    }

    private func playSet(_ scout: inout Scout, server: inout Side, edge: Double) throws {
        while let set = scout.state.openPeriod,
            rules.scoring.winner(of: set) == nil
        {
            scout.wait(8...20)
            try scout.send(VolleyballRules.Action.serve, server, player: scout.player(server))
            scout.wait(4...15)
            let serving = Self.serveWins + (server == .home ? edge : -edge)
            let winner = scout.chance(serving) ? server : server.other
            let how = scout.pick([
                VolleyballRules.SubType.pointScoredAttack, VolleyballRules.SubType.pointScoredAttack,
                VolleyballRules.SubType.pointScoredAttack, VolleyballRules.SubType.pointScoredBlock,
                VolleyballRules.SubType.pointScoredAce, VolleyballRules.SubType.pointScoredOpponentError,
            ])
            if scout.chance(0.004) {
                try scout.send(VolleyballRules.Action.yellowCard, winner.other, player: scout.player(winner.other))
            }
            if scout.chance(0.002) {
                // A red card: the point goes to the other side as a Penalty Point.
                try scout.send(VolleyballRules.Action.redCard, winner.other, player: scout.player(winner.other))
                try scout.send(VolleyballRules.Action.penaltyPoint, winner)
            } else if scout.chance(0.005) {
                let point = try scout.send(VolleyballRules.Action.pointScored, winner.other, subType: how)
                scout.wait(3...10)
                try scout.send(VolleyballRules.Action.pointScored, winner, subType: how, sendType: .updated, id: point)
            } else {
                try scout.send(VolleyballRules.Action.pointScored, winner, subType: how)
            }
            server = winner
        }
    }
}
