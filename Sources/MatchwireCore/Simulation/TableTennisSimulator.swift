/// Table tennis rally by rally: the server changes every two points (every point from deuce), the first
/// server alternates by game, the server wins a little more often, an occasional let, and now and then a
/// point given to the wrong side and corrected seconds later.
struct TableTennisSimulator: SportSimulator {
    let rules: TableTennisRules

    func play(_ scout: inout Scout) throws {
        try scout.preMatch()
        try scout.send(CommonAction.startFixture)
        var firstServer: Side = scout.chance(0.5) ? .home : .away
        while rules.matchWinner(scout.state) == nil {
            scout.wait(5...20)
            try scout.send(CommonAction.startPeriod)
            if scout.state.periods.count > 1 { try scout.send(TableTennisRules.Action.changeEnds) }
            try playGame(&scout, firstServer: firstServer)
            scout.wait(2...6)
            try scout.send(CommonAction.endPeriod)
            firstServer = firstServer.other
            scout.wait(45...75)
        }
        try scout.postMatch()
    }

    private func playGame(_ scout: inout Scout, firstServer: Side) throws {
        var pointsPlayed = 0
        while let game = scout.state.openPeriod,
            rules.scoring.winner(of: game) == nil
        {
            let deuce = min(game.homePeriodScore, game.awayPeriodScore) >= rules.pointsPerGame - 1
            let turn = deuce ? pointsPlayed : pointsPlayed / 2
            let server = turn % 2 == 0 ? firstServer : firstServer.other
            scout.wait(6...14)
            try scout.send(TableTennisRules.Action.pointStarted, server, player: scout.player(server))
            scout.wait(3...15)
            if scout.chance(0.02) {
                try scout.send(TableTennisRules.Action.`let`)
                continue
            }
            let winner = scout.chance(0.55) ? server : server.other
            if scout.chance(0.005) {
                let point = try scout.send(TableTennisRules.Action.pointScored, winner.other)
                scout.wait(3...10)
                try scout.send(TableTennisRules.Action.pointScored, winner, sendType: .updated, id: point)
            } else {
                try scout.send(TableTennisRules.Action.pointScored, winner)
            }
            pointsPlayed += 1
        }
    }
}
