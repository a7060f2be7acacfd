import ArgumentParser
import Foundation
import MatchwireClient
import MatchwireCore

/// `matchwire tail`: follows a fixture's stream and shows its score.
struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a fixture's stream: a live scoreboard on a terminal, one line per action otherwise.",
        discussion: """
            Reconnects with startPosition when the connection drops, without showing any action twice. Ends after \
            the packet with finished: true, printing the final score.
            """)

    @Argument(help: "\(Sport.names).") var sport: String
    @Argument(help: "The fixture's id.") var fixture: String
    @OptionGroup var connection: ServerOptions
    @Flag(help: "Follow the media stream (delayed) instead of the betting stream.") var media = false
    @Option(help: "Packets to skip: start at fixtureSeqNum N+1.") var startPosition = 0
    @Option(help: "Replay pace of a fixture that is not live: normal or fast.") var speed: String?

    func validate() throws {
        guard startPosition >= 0 else { throw ValidationError("--start-position must be 0 or more.") }
        if let speed, !["normal", "fast"].contains(speed) { throw ValidationError("--speed must be normal or fast.") }
    }

    func run() async throws {
        guard let sport = Sport(name: sport) else { throw ValidationError("sport must be one of \(Sport.names).") }
        guard let id = UUID(uuidString: fixture) else { throw ValidationError("fixture must be a UUID.") }
        let client = try connection.client()
        let found = try await client.fixture(sport, id: id)
        let display = TailDisplay(
            scoreboard: Scoreboard(fixture: found), onTerminal: Terminal.isTerminal(STDOUT_FILENO))
        await display.start()
        let stream = ResumingStream(
            server: client.server, sport: sport, fixtureId: id, token: try connection.tokenValue(), media: media,
            speed: speed, startPosition: startPosition)
        try await stream.run { event in await display.show(event) }
        await display.finish()
    }
}

/// What `tail` prints: the scoreboard redrawn in place on a terminal, or one line per packet.
actor TailDisplay {
    private var scoreboard: Scoreboard
    private let onTerminal: Bool
    private var drawnLines = 0
    private var notice: String?

    init(scoreboard: Scoreboard, onTerminal: Bool) {
        self.scoreboard = scoreboard
        self.onTerminal = onTerminal
    }

    func start() {
        if onTerminal { draw() } else { Terminal.line("\(scoreboard.fixture.id.wire): \(scoreboard.fixture.name)") }
    }

    func show(_ event: ResumingStream.Event) {
        switch event {
        case .packet(let packet):
            scoreboard.apply(packet)
            notice = nil
            if onTerminal { draw() } else { Terminal.line(scoreboard.line(for: packet)) }
        case .reconnecting(let reason, let delay):
            let position = scoreboard.latest?.action.fixtureSeqNum ?? 0
            let text = "connection lost (\(reason)); resuming after #\(position) in \(delay)"
            if onTerminal {
                notice = text
                draw()
            } else {
                Terminal.write(text + "\n", to: .standardError)
            }
        }
    }

    func finish() {
        Terminal.line(scoreboard.finalLine)
    }

    private func draw() {
        let lines = scoreboard.board + (notice.map { [$0] } ?? [])
        var text = Terminal.up(drawnLines)
        for line in lines { text += Terminal.clearLine + line + "\n" }
        // A shorter board than the last one: clear what is left below.
        for _ in lines.count..<max(lines.count, drawnLines) { text += Terminal.clearLine + "\n" }
        Terminal.write(text)
        drawnLines = max(lines.count, drawnLines)
    }
}
