import ArgumentParser
import Foundation
import MatchwireClient
import MatchwireCore

/// `matchwire simulate`: plays a generated match into a fixture of a running server, through its ingest API.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a generated match into a fixture through a running server's ingest API.",
        discussion: """
            The pre-match actions are sent at once; play follows from Start Fixture in real time, or --speed times \
            faster, with the match's own timestamps. The first line names the fixture; a progress line shows the \
            period, the score and the actions sent.
            """)

    @Option(help: "\(Sport.names).") var sport: String
    @OptionGroup var connection: ServerOptions
    @Option(help: "Match time per real time, from 0.01 to 100000: 60 plays a minute of match a second.")
    var speed: Double = 1
    @Option(help: "A fixture of the sport that has not started. Default: a new fixture (needs an admin token).")
    var fixture: String?
    @Option(help: "The generator's seed: the same seed gives the same match. Default: random.")
    var seed: UInt64?
    @Option(help: "Rules object of a new fixture as JSON (docs/sports.md). Default: the sport's.")
    var rules: String?

    static let speedRange = 0.01...100_000.0
    /// Actions due at the same moment go in one request, at most this many.
    static let maxBatch = 200

    func validate() throws {
        guard Self.speedRange.contains(speed) else { throw ValidationError("--speed must be from 0.01 to 100000.") }
        if fixture != nil, rules != nil { throw ValidationError("--rules applies to a new fixture, not to --fixture.") }
    }

    func run() async throws {
        guard let sport = Sport(name: sport) else { throw ValidationError("--sport must be one of \(Sport.names).") }
        let client = try connection.client()
        let seed = seed ?? UInt64.random(in: 1...999_999)
        let fixture = try await target(sport, client: client, seed: seed)
        let playStart = Timestamp.now
        // Joined at Start Fixture: the pre-match actions lie in the past and go at once.
        let actions = try MatchSimulator.match(for: fixture, seed: seed, start: playStart).kickingOff(at: playStart)
        Terminal.line(
            "simulating \(sport.rawValue) fixture \(fixture.id.wire) '\(fixture.name)': \(actions.count) actions, "
                + "seed \(seed), speed \(speed)")

        var progress = ProgressLine(handle: .standardOutput)
        let origin = ContinuousClock.now
        var sent = 0
        var board = Scoreboard(fixture: fixture)
        let due = { (action: SimulatedAction) in
            origin + .microseconds(Double(action.timestamp.microseconds - playStart.microseconds) / speed)
        }
        while sent < actions.count {
            try await Task.sleep(until: due(actions[sent]))
            let now = ContinuousClock.now
            var end = sent + 1
            while end < actions.count, end - sent < Self.maxBatch, due(actions[end]) <= now { end += 1 }
            let packets = try await client.ingest(
                actions[sent..<end].map(\.submission), sport: sport, fixtureId: fixture.id)
            sent = end
            if let last = packets.last { board.apply(last) }
            progress.show("\(board.situation) | \(sent)/\(actions.count) actions sent", key: board.stage)
        }
        progress.finish()
        let status = board.latest.map { " (\($0.summary.currentStatus.name))" } ?? ""
        Terminal.line("done: \(board.situation)\(status), \(sent) actions sent")
    }

    /// The fixture named by --fixture, which must not have started, or a new one between generated teams.
    private func target(_ sport: Sport, client: ServerClient, seed: UInt64) async throws -> Fixture {
        if let fixture {
            guard let id = UUID(uuidString: fixture) else { throw ValidationError("--fixture must be a UUID.") }
            let found = try await client.fixture(sport, id: id)
            guard found.status == .scheduled else {
                throw CommandFailure(
                    "Fixture \(id.wire) is \(found.status.name): simulate plays a whole match into a fixture that "
                        + "has not started.")
            }
            return found
        }
        return try await client.createFixture(
            MatchSimulator.fixture(
                sport, seed: seed, start: .now, rules: try FixtureCommand.Create.rulesObject(rules, of: sport)))
    }
}
