import Foundation

/// A generated player: a real-looking name and a shirt number.
struct SimulatedPlayer: Sendable, Hashable {
    let id: UUID
    let firstName: String
    let lastName: String
    let shirtNumber: Int

    var fullName: String { "\(firstName) \(lastName)" }
    var reference: PlayerRef { PlayerRef(id: id, name: fullName) }

    var json: JSONValue {
        [
            "id": .string(id.wire), "fullName": .string(fullName), "firstName": .string(firstName),
            "lastName": .string(lastName), "shirtNumber": .string(String(shirtNumber)),
        ]
    }
}

/// A side's squad for one match: the starters first, then the substitutes.
struct Lineup: Sendable {
    var players: [SimulatedPlayer]
    var startingCount: Int

    static func generate(team: TeamRef, starting: Int, substitutes: Int, using random: inout SeededGenerator)
        -> Lineup
    {
        var numbers = Array(1...99).shuffled(using: &random)
        var players: [SimulatedPlayer] = []
        for index in 0..<(starting + substitutes) {
            players.append(
                SimulatedPlayer(
                    id: random.uuid(), firstName: Names.first.randomElement(using: &random) ?? "Alex",
                    lastName: Names.last.randomElement(using: &random) ?? "Smith", shirtNumber: numbers[index]))
        }
        numbers.removeAll()
        return Lineup(players: players, startingCount: starting)
    }

    /// Lineups (3) metadata: `{teamId, startingLineup[], substitutes[]}`.
    func metadata(team: TeamRef) -> JSONValue {
        [
            "teamId": .string(team.id.wire), "startingLineup": .array(players.prefix(startingCount).map(\.json)),
            "substitutes": .array(players.dropFirst(startingCount).map(\.json)),
        ]
    }
}

/// Names, colours and venues the generator draws from.
enum Names {
    static let first = [
        "Adam", "Aleksa", "Amir", "Andrea", "Ben", "Carlos", "Daniel", "David", "Diego", "Emil", "Erik", "Felix",
        "Filip", "Gabriel", "Hugo", "Ivan", "Jakub", "Jonas", "Karim", "Kenji", "Leon", "Luca", "Lukas", "Marco",
        "Mateo", "Max", "Mikkel", "Nikola", "Noah", "Oliver", "Oscar", "Pablo", "Pedro", "Rafael", "Samuel",
        "Sebastian", "Stefan", "Theo", "Tomas", "Viktor", "Yusuf", "Zoran",
    ]
    static let last = [
        "Andersen", "Bauer", "Becker", "Costa", "Dubois", "Eriksen", "Fernandes", "Fischer", "Garcia", "Hansen",
        "Horvat", "Ivanov", "Jensen", "Kovac", "Kowalski", "Larsen", "Lopez", "Marino", "Martin", "Meyer", "Moreau",
        "Nielsen", "Novak", "Olsen", "Petrovic", "Popescu", "Ricci", "Rossi", "Santos", "Schmidt", "Silva",
        "Suzuki", "Tanaka", "Vidal", "Weber", "Wojcik", "Yilmaz", "Zielinski",
    ]
}

enum Palette {
    static let colours = ["0, 38, 255", "22, 80, 13", "200, 16, 46", "255, 255, 255", "0, 0, 0", "255, 205, 0"]
    static let away = ["255, 242, 0", "0, 145, 255", "120, 0, 120", "255, 128, 0", "80, 80, 80"]
    /// Latitude and longitude in ten-thousandths of a degree.
    static let venues: [(latitude: Int, longitude: Int)] = [
        (515_072, -1_276), (552_227, 117_665), (433_590, 193_590), (404_168, -37_038), (356_762, 1_396_503),
    ]
}
