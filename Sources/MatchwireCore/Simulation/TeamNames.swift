import Foundation

/// Team names for generated fixtures: clubs, and table tennis players.
public enum TeamNames {
    static let clubs = [
        "Northbridge", "Eastport", "Westfield", "Southmere", "Riverton", "Lakeside", "Hillcrest", "Bayview",
        "Stonebridge", "Oakridge", "Fairhaven", "Kingsford",
    ]
    static let players = [
        "HANSEN Erik", "SILVA Pedro", "TANAKA Kenji", "NOVAK Ivan", "ROSSI Luca", "MEYER Felix", "COSTA Rafael",
        "IVANOV Viktor", "LOPEZ Mateo", "WEBER Jonas",
    ]

    /// Two different names for the home and away sides of a `sport` fixture.
    public static func pair(_ sport: Sport, using random: inout SeededGenerator) -> (home: String, away: String) {
        let pool = sport.sidesArePlayers ? players : clubs
        let home = Int(random.next() % UInt64(pool.count))
        let away = (home + 1 + Int(random.next() % UInt64(pool.count - 1))) % pool.count
        return (pool[home], pool[away])
    }
}

extension MatchSimulator {
    /// A new Simulation fixture between two generated teams (the same seed gives the same names), starting at
    /// `start` to the second, under `rules` (a rules object with its defaults filled in).
    public static func fixture(
        _ sport: Sport, seed: UInt64, start: Timestamp, rules: JSONValue, competition: Competition? = nil
    ) -> Fixture {
        var random = SeededGenerator(seed: seed)
        let names = TeamNames.pair(sport, using: &random)
        return Fixture(
            id: UUID(), sport: sport, startDate: start.wholeSecond,
            teams: [
                TeamRef(id: UUID(), name: names.home, homeTeam: true),
                TeamRef(id: UUID(), name: names.away, homeTeam: false),
            ],
            competition: competition, type: .simulation, rules: rules)
    }
}
