import AsyncHTTPClient
import Foundation
import MatchwireClient
import MatchwireCore
import PostgresTestCluster
import Testing

/// `simulate`, `tail`, `export` and `import` run as a user runs them, against a real server process.
/// One test at a time: each runs a server, a simulator and one or two tails as processes of their own, and run
/// together (five sports' simulations beside the restart test) they starved one another on two cores.
@Suite(.serialized) struct ClientToolsTests {
    /// A new database with an admin token, and a server on it.
    static func serverWithToken() throws -> (server: ServerProcess, database: String, token: String, url: String) {
        let database = try ServerProcess.newDatabasePath()
        let token = try ServerProcess.run([
            "token", "create", "--name", "ops", "--role", "admin", "--database", database,
        ])
        let server = try ServerProcess.start(database: database)
        return (server, database, token, "http://127.0.0.1:\(server.port)")
    }

    /// The fixture id on the first line `simulate` prints.
    static func fixtureId(of simulate: RunningProgram) async throws -> String {
        try await waitUntil(timeout: .seconds(30), every: .milliseconds(50)) { simulate.outputLines.first != nil }
        let first = try #require(simulate.outputLines.first)
        let range = try #require(
            first.range(of: #"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"#, options: .regularExpression))
        return String(first[range])
    }

    /// The actions list served for a fixture, as text and as packets.
    static func actionsList(_ url: String, _ sport: Sport, _ fixtureId: String, token: String) async throws -> (
        text: String, packets: [Packet]
    ) {
        var request = HTTPClientRequest(url: "\(url)/\(sport.pathSegment)/fixtures/\(fixtureId)/actions")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status.code == 200)
        let body = try await response.body.collect(upTo: 64 << 20)
        return (String(buffer: body), try JSONDecoder().decode([Packet].self, from: Data(buffer: body)))
    }

    /// The latest statistics packet served for a fixture.
    static func latestStatistics(_ url: String, _ sport: Sport, _ fixtureId: String, token: String) async throws
        -> StatisticsSnapshot
    {
        var request = HTTPClientRequest(url: "\(url)/\(sport.pathSegment)/fixtures/\(fixtureId)/statistics")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status.code == 200)
        return try StatisticsSnapshot(
            json: JSONValue.parse(try await response.body.collect(upTo: 1 << 20).readableBytesView))
    }

    /// The streams open on a server, by its `/metrics`.
    static func openStreams(_ url: String) async throws -> Double {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "\(url)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return Exposition(text).samples.filter { $0.name == MetricsTests.open }.reduce(0) { $0 + $1.value }
    }

    /// The `fixtureSeqNum`s of `tail`'s action lines (`#12 ...`), in the order printed.
    static func seqNums(_ lines: [String]) -> [Int] {
        lines.compactMap { line in line.hasPrefix("#") ? Int(line.dropFirst().prefix { $0.isNumber }) : nil }
    }

    /// The final line `tail` prints for the last packet of a list, with the team names of the first line of
    /// `simulate` ('Home v Away').
    static func expectFinalLine(_ line: String?, teams: String, last: Packet) throws {
        let names = teams.components(separatedBy: " v ")
        #expect(names.count == 2)
        let score = "\(names[0]) \(last.summary.homeTeamScore)-\(last.summary.awayTeamScore) \(names[1])"
        #expect(line?.hasPrefix("final: \(score) (Completed; ") == true, "\(line ?? "no line")")
    }

    static func teams(of simulate: RunningProgram) throws -> String {
        let first = try #require(simulate.outputLines.first)
        let quoted = first.split(separator: "'")
        return quoted.count >= 2 ? String(quoted[1]) : ""
    }

    /// The `--speed` that plays the seed-42 match of `sport` in about five seconds.
    static func fiveSecondSpeed(_ sport: Sport) throws -> String {
        let start = Timestamp(millisecondsSince1970: 1_750_000_000_000)
        let fixture = MatchSimulator.fixture(sport, seed: 42, start: start, rules: try sport.rules(nil).rulesObject)
        let actions = try MatchSimulator.match(for: fixture, seed: 42, start: start)
        let seconds = Double((actions.last?.timestamp.microseconds ?? 0) - start.microseconds) / 1_000_000
        return String(Int(max(1, seconds / 5)))
    }

    @Test(arguments: Sport.allCases)
    func simulateFeedsAServerAndTailFollowsTheMatchToTheFinalScore(_ sport: Sport) async throws {
        let (server, _, token, url) = try Self.serverWithToken()
        defer { _ = server.terminate() }
        let speed = try Self.fiveSecondSpeed(sport)
        let simulate = try RunningProgram([
            "simulate", "--sport", sport.rawValue, "--server", url, "--token", token, "--speed", speed, "--seed", "42",
        ])
        let fixtureId = try await Self.fixtureId(of: simulate)
        // On a loaded machine the match may be over before tail connects: it then replays, fast.
        let tail = try RunningProgram([
            "tail", sport.rawValue, fixtureId, "--server", url, "--token", token, "--speed", "fast",
        ])
        let tailStatistics = try RunningProgram([
            "tail", sport.rawValue, fixtureId, "--statistics", "--server", url, "--token", token, "--speed", "fast",
        ])
        #expect(try await simulate.finish() == 0, "\(simulate.errors)")
        #expect(try await tail.finish() == 0, "\(tail.errors)")
        #expect(try await tailStatistics.finish() == 0, "\(tailStatistics.errors)")
        // Every statistics packet once, in order, ending with the totals the REST answer has.
        let statistics = try await Self.latestStatistics(url, sport, fixtureId, token: token)
        #expect(statistics.finished)
        #expect(Self.seqNums(tailStatistics.outputLines) == Array(1...statistics.seqNum))
        let lastLine = try #require(tailStatistics.outputLines.last)
        #expect(lastLine.hasPrefix("final statistics: "), "\(lastLine)")
        #expect(tailStatistics.outputLines.dropLast().last?.hasSuffix(" (final)") == true)
        for team in statistics.teams {
            for action in team.actions {
                #expect(lastLine.contains("\(action.name) "), "\(action.name) in \(lastLine)")
            }
        }

        let list = try await Self.actionsList(url, sport, fixtureId, token: token)
        let last = try #require(list.packets.max { $0.action.fixtureSeqNum < $1.action.fixtureSeqNum })
        #expect(last.finished)
        // Every packet once, in order, and the score of the last one.
        #expect(Self.seqNums(tail.outputLines) == Array(1...list.packets.count))
        try Self.expectFinalLine(tail.outputLines.last, teams: try Self.teams(of: simulate), last: last)
        let done = simulate.outputLines.last ?? ""
        #expect(done.hasPrefix("done: "), "\(done)")
        #expect(done.contains("\(last.summary.homeTeamScore)-\(last.summary.awayTeamScore)"))
        #expect(done.hasSuffix("(Completed), \(list.packets.count) actions sent"))
    }

    @Test func tailResumesAfterTheServerRestartsWithoutShowingAnyActionTwice() async throws {
        var (server, database, token, url) = try Self.serverWithToken()
        // tail follows the fixture before the match starts. Started after simulate, on a loaded machine it could
        // connect once the 15-second match was over, and a finished match is replayed at the scouts' own pace
        // unless `--speed fast` (seed 8's second pre-match action is 29 s after its first): it then showed three
        // packets in a minute, a test waiting for the clock rather than a stream that stopped.
        let created = try ServerProcess.run([
            "fixture", "create", "--sport", "tabletennis", "--home", "PARK Gahyeon", "--away", "BATRA Manika",
            "--database", database,
        ])
        let fixtureId = created  // the last line
        let tail = try RunningProgram([
            "tail", "tabletennis", fixtureId, "--server", url, "--token", token, "--speed", "fast",
        ])
        try await waitUntil(timeout: .seconds(60), every: .milliseconds(50)) { try await Self.openStreams(url) >= 1 }
        let simulate = try RunningProgram([
            "simulate", "--sport", "tabletennis", "--server", url, "--token", token, "--speed", "120", "--seed", "8",
            "--fixture", fixtureId,
        ])
        do {
            try await waitUntil(timeout: .seconds(60), every: .milliseconds(20)) {
                Self.seqNums(tail.outputLines).count >= 30
            }
        } catch {
            // What the two programs said, to tell a slow machine from a stuck stream.
            let said =
                "tail showed \(Self.seqNums(tail.outputLines).count) packets in 60 s; tail: \(tail.errors) "
                + "\(tail.outputLines.suffix(3)); simulate: \(simulate.errors) \(simulate.outputLines.suffix(3))"
            Issue.record(Comment(rawValue: said))
            // And the server's own lines (streams opened, handed over, ended; errors), the last of them.
            let stopped = server.terminate()
            Issue.record(Comment(rawValue: "server: \(stopped.output.suffix(4000))"))
            throw error
        }

        // SIGTERM closes the stream with 1001 and refuses the simulator's requests until the restart.
        #expect(server.terminate().status == 0)
        server = try ServerProcess.start(database: database, arguments: ["--port", "\(server.port)"])
        defer { _ = server.terminate() }

        #expect(try await simulate.finish() == 0, "\(simulate.errors)")
        #expect(try await tail.finish() == 0, "\(tail.errors)")
        #expect(tail.errors.contains("connection lost"), "\(tail.errors)")
        let list = try await Self.actionsList(url, .tableTennis, fixtureId, token: token)
        #expect(Self.seqNums(tail.outputLines) == Array(1...list.packets.count))
        let last = try #require(list.packets.max { $0.action.fixtureSeqNum < $1.action.fixtureSeqNum })
        try Self.expectFinalLine(tail.outputLines.last, teams: try Self.teams(of: simulate), last: last)
    }

    @Test func exportThenImportRoundTripsAFixtureByteForByteAndTheImportReplays() async throws {
        let (server, database, token, url) = try Self.serverWithToken()
        let simulate = try RunningProgram([
            "simulate", "--sport", "soccer", "--server", url, "--token", token, "--speed", "100000", "--seed", "5",
            "--rules", #"{"extraTime": true, "penaltyShootout": true}"#,
        ])
        #expect(try await simulate.finish() == 0, "\(simulate.errors)")
        let fixtureId = try await Self.fixtureId(of: simulate)
        let served = try await Self.actionsList(url, .soccer, fixtureId, token: token)
        _ = server.terminate()

        let exported = try await RunningProgram.run(["export", fixtureId, "--database", database])
        #expect(exported.status == 0, "\(exported.errors)")
        let sameAsServed = exported.output == served.text
        #expect(sameAsServed, "export differs from the REST list")
        let file = database + ".export.json"
        try exported.output.write(toFile: file, atomically: true, encoding: .utf8)

        // The statistics packets go with it, and are checked against what the rules give.
        let statistics = try await RunningProgram.run(["export", fixtureId, "--statistics", "--database", database])
        #expect(statistics.status == 0, "\(statistics.errors)")
        #expect((try JSONValue.parse(Array(statistics.output.utf8)).arrayValue?.count ?? 0) > 5)
        let statisticsFile = database + ".statistics.json"
        try statistics.output.write(toFile: statisticsFile, atomically: true, encoding: .utf8)
        let tamperedFile = database + ".tampered.json"
        let tampered = try #require(statistics.output.range(of: #""actionAggregate":1,"#))
        try statistics.output.replacingCharacters(in: tampered, with: #""actionAggregate":7,"#)
            .write(toFile: tamperedFile, atomically: true, encoding: .utf8)
        let refusedCopy = try ServerProcess.newDatabasePath()
        let refused = try await RunningProgram.run([
            "import", file, "--statistics", tamperedFile, "--database", refusedCopy,
        ])
        #expect(refused.status != 0)
        #expect(refused.errors.contains("Statistics packet at index 0 (seqNum 1)"), "\(refused.errors)")
        #expect(refused.errors.contains("actionAggregate is 7 in the file, 1 by the rules"), "\(refused.errors)")

        let copy = try ServerProcess.newDatabasePath()
        let imported = try await RunningProgram.run([
            "import", file, "--statistics", statisticsFile, "--database", copy,
        ])
        #expect(imported.status == 0, "\(imported.errors)")
        #expect(imported.output.split(separator: "\n").last.map(String.init) == fixtureId)
        let again = try await RunningProgram.run(["export", fixtureId, "--database", copy])
        let roundTripped = again.output == exported.output
        #expect(roundTripped, "the import exports differently: \(again.errors)")
        let statisticsAgain = try await RunningProgram.run(["export", fixtureId, "--statistics", "--database", copy])
        #expect(statisticsAgain.output == statistics.output, "the imported statistics are the original's")

        // The imported fixture replays from its stream, fast, to the same final score.
        let copyToken = try ServerProcess.run([
            "token", "create", "--name", "ops", "--role", "admin", "--database", copy,
        ])
        let replayServer = try ServerProcess.start(database: copy)
        defer { _ = replayServer.terminate() }
        let tail = try await RunningProgram.run([
            "tail", "soccer", fixtureId, "--server", "http://127.0.0.1:\(replayServer.port)", "--token", copyToken,
            "--speed", "fast",
        ])
        #expect(tail.status == 0, "\(tail.errors)")
        let last = try #require(served.packets.max { $0.action.fixtureSeqNum < $1.action.fixtureSeqNum })
        try Self.expectFinalLine(
            tail.output.split(separator: "\n").last.map(String.init), teams: try Self.teams(of: simulate), last: last)
    }

    // MARK: Import refusals

    /// The packets of a generated table tennis match, as elements of an actions list.
    static func generatedList() throws -> (fixtureId: UUID, elements: [JSONValue]) {
        let fixture = Fixture(
            id: UUID(), sport: .tableTennis, startDate: Timestamp(millisecondsSince1970: 1_750_000_000_000),
            teams: [
                TeamRef(id: UUID(), name: "PARK Gahyeon", homeTeam: true),
                TeamRef(id: UUID(), name: "BATRA Manika", homeTeam: false),
            ],
            rules: try Sport.tableTennis.rules(nil).rulesObject)
        var engine = try FixtureEngine(fixture: fixture)
        var elements: [JSONValue] = []
        for action in try MatchSimulator.match(for: fixture, seed: 3, start: fixture.startDate) {
            if case .stored(let packet) = try engine.ingest(
                action.submission, receivedAt: action.timestamp, traceId: String(repeating: "a", count: 32))
            {
                elements.append(try JSONValue.parse(packet.jsonBytes))
            }
        }
        return (fixture.id, elements)
    }

    /// Imports a list into a new database and returns the refusal printed.
    static func refusal(of elements: [JSONValue], fixtureId: UUID) async throws -> String {
        let database = try ServerProcess.newDatabasePath()
        let file = database + ".json"
        try Data(JSONValue.array(elements).jsonBytes).write(to: URL(fileURLWithPath: file))
        let result = try await RunningProgram.run(["import", file, "--database", database])
        #expect(result.status == 1)
        #expect(result.errors.contains("Nothing was imported."), "\(result.errors)")
        let export = try await RunningProgram.run(["export", fixtureId.wire, "--database", database])
        #expect(export.errors.contains("There is no fixture \(fixtureId.wire)"), "\(export.errors)")
        return result.errors
    }

    static func setting(_ value: JSONValue, _ path: [String], to new: JSONValue) -> JSONValue {
        guard let key = path.first, var object = value.objectValue else { return new }
        object[key] = setting(object[key] ?? .null, Array(path.dropFirst()), to: new)
        return .object(object)
    }

    @Test func importNamesAPacketWhoseSummaryTheRulesDoNotGiveAndStoresNothing() async throws {
        var (fixtureId, elements) = try Self.generatedList()
        let index = elements.count - 20
        let score = try #require(elements[index]["fixtureSummary"]?["homeTeamScore"]?.intValue)
        elements[index] = Self.setting(elements[index], ["fixtureSummary", "homeTeamScore"], to: .number(score + 1))
        let errors = try await Self.refusal(of: elements, fixtureId: fixtureId)
        #expect(errors.contains("Packet at index \(index) (fixtureSeqNum \(index + 1), "), "\(errors)")
        #expect(errors.contains("fixtureSummary.homeTeamScore is \(score + 1) in the file, \(score) by the rules"))
    }

    @Test func importRefusesMalformedIncompleteAndDuplicatedLists() async throws {
        let (fixtureId, elements) = try Self.generatedList()
        var missingKey = elements
        missingKey[4] = .object((elements[4].objectValue ?? [:]).filter { $0.key != "fixtureSummary" })
        #expect(
            try await Self.refusal(of: missingKey, fixtureId: fixtureId)
                .contains("Packet at index 4 is not a packet: 'fixtureSummary' is missing."))

        var gap = elements
        gap.remove(at: 10)
        #expect(
            try await Self.refusal(of: gap, fixtureId: fixtureId).contains("fixtureSeqNum 11 is missing from the file.")
        )

        var repeated = elements
        repeated.insert(elements[10], at: 11)
        #expect(try await Self.refusal(of: repeated, fixtureId: fixtureId).contains("fixtureSeqNum 11 appears twice."))

        let unfinished = Array(elements.dropLast())
        #expect(
            try await Self.refusal(of: unfinished, fixtureId: fixtureId)
                .contains("The last packet is not finished: import takes the actions list of a finished fixture."))
    }

    /// `import` and `export` on a PostgreSQL database, as on SQLite (`--postgres` instead of `--database`).
    @Test(.enabled(if: PostgresTestCluster.isInstalled)) func importAndExportWorkOnPostgres() async throws {
        let cluster = try #require(try await PostgresTestCluster.shared())
        let url = try await cluster.newDatabase()
        let (fixtureId, elements) = try Self.generatedList()
        let file = try ServerProcess.newDatabasePath() + ".json"
        try Data(JSONValue.array(elements).jsonBytes).write(to: URL(fileURLWithPath: file))
        let first = try await RunningProgram.run(["import", file, "--postgres", url, "--store-timeout", "60"])
        #expect(first.status == 0, "\(first.errors)")
        let second = try await RunningProgram.run(["import", file, "--postgres", url, "--store-timeout", "60"])
        #expect(second.status == 1)
        #expect(
            second.errors.contains("Fixture \(fixtureId.wire) exists already in postgres 127.0.0.1:\(cluster.port)/"))
        let export = try await RunningProgram.run([
            "export", fixtureId.wire, "--postgres", url, "--store-timeout", "60",
        ])
        let exported = try #require(try JSONValue.parse(Array(export.output.utf8)).arrayValue)
        #expect(exported.count == elements.count)
        #expect(Set(exported) == Set(elements))
    }

    @Test func importRefusesAFixtureThatExistsAlready() async throws {
        let (fixtureId, elements) = try Self.generatedList()
        let database = try ServerProcess.newDatabasePath()
        let file = database + ".json"
        try Data(JSONValue.array(elements).jsonBytes).write(to: URL(fileURLWithPath: file))
        let first = try await RunningProgram.run(["import", file, "--database", database])
        #expect(first.status == 0, "\(first.errors)")
        let second = try await RunningProgram.run(["import", file, "--database", database])
        #expect(second.status == 1)
        #expect(second.errors.contains("Fixture \(fixtureId.wire) exists already in sqlite \(database)."))
        let export = try await RunningProgram.run(["export", fixtureId.wire, "--database", database])
        let exported = try #require(try JSONValue.parse(Array(export.output.utf8)).arrayValue)
        #expect(exported.count == elements.count)
        #expect(Set(exported) == Set(elements))
    }
}
