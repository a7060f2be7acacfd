import ArgumentParser
import Foundation
import MatchwireClient
import MatchwireCore

/// `matchwire tail`: follows a fixture's stream and shows its score, or its statistics.
struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a fixture's stream: a live scoreboard on a terminal, one line per action otherwise.",
        discussion: """
            Reconnects with startPosition when the connection drops, without showing any packet twice. Ends after \
            the packet with finished: true, printing the final score. With --statistics, follows the statistics \
            stream instead: a table of each team's totals on a terminal, one line per statistics packet otherwise.
            """)

    @Argument(help: "\(Sport.names).") var sport: String
    @Argument(help: "The fixture's id.") var fixture: String
    @OptionGroup var connection: ServerOptions
    @Flag(help: "Follow the media stream (delayed) instead of the betting stream.") var media = false
    @Flag(help: "Follow the statistics stream (each team's running totals) instead of the actions.")
    var statistics = false
    @Option(help: "Packets to skip: start at number N+1 (fixtureSeqNum, or the statistics seqNum with --statistics).")
    var startPosition = 0
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
        if statistics {
            try await follow(StatisticsBoard(fixture: found), client: client, sport: sport, id: id)
        } else {
            try await follow(Scoreboard(fixture: found), client: client, sport: sport, id: id)
        }
    }

    private func follow<Board: TailBoard>(_ board: Board, client: ServerClient, sport: Sport, id: UUID) async throws {
        let display = TailDisplay(board: board, onTerminal: Terminal.isTerminal(STDOUT_FILENO))
        await display.start()
        let stream = ResumingStream<Board.Item>(
            server: client.server, sport: sport, fixtureId: id, token: try connection.tokenValue(), media: media,
            speed: speed, startPosition: startPosition)
        try await stream.run { event in await display.show(event) }
        await display.finish()
    }
}

/// What `tail` draws: the scoreboard of the actions, or the table of the statistics.
protocol TailBoard: Sendable {
    associatedtype Item: StreamItem
    var fixture: Fixture { get }
    /// The number of the last packet shown; 0 before the first.
    var position: Int { get }
    mutating func apply(_ item: Item)
    func line(for item: Item) -> String
    var board: [String] { get }
    var finalLine: String { get }
}

extension Scoreboard: TailBoard {
    var position: Int { latest?.action.fixtureSeqNum ?? 0 }
}

extension StatisticsBoard: TailBoard {
    var position: Int { latest?.seqNum ?? 0 }
}

/// What `tail` prints: the board redrawn in place on a terminal, or one line per packet.
actor TailDisplay<Board: TailBoard> {
    private var board: Board
    private let onTerminal: Bool
    private var drawnLines = 0
    private var notice: String?

    init(board: Board, onTerminal: Bool) {
        self.board = board
        self.onTerminal = onTerminal
    }

    func start() {
        if onTerminal { draw() } else { Terminal.line("\(board.fixture.id.wire): \(board.fixture.name)") }
    }

    func show(_ event: ResumingStream<Board.Item>.Event) {
        switch event {
        case .packet(let packet):
            board.apply(packet)
            notice = nil
            if onTerminal { draw() } else { Terminal.line(board.line(for: packet)) }
        case .reconnecting(let reason, let delay):
            let text = "connection lost (\(reason)); resuming after #\(board.position) in \(delay)"
            if onTerminal {
                notice = text
                draw()
            } else {
                Terminal.write(text + "\n", to: .standardError)
            }
        }
    }

    func finish() {
        Terminal.line(board.finalLine)
    }

    private func draw() {
        let lines = board.board + (notice.map { [$0] } ?? [])
        var text = Terminal.up(drawnLines)
        for line in lines { text += Terminal.clearLine + line + "\n" }
        // A shorter board than the last one: clear what is left below.
        for _ in lines.count..<max(lines.count, drawnLines) { text += Terminal.clearLine + "\n" }
        Terminal.write(text)
        drawnLines = max(lines.count, drawnLines)
    }
}
