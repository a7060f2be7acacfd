import AsyncHTTPClient
import Foundation
import MatchwireCore
import MatchwireServer
import MatchwireStore
import NIOCore
import Testing

/// `matchwire serve --demo`, run as a new user runs it.
@Suite struct DemoTests {
    /// The sport's fixtures list. The demo's token has the default rate limit, which polling can exceed: a 429
    /// waits its `Retry-After` and asks again; any other answer but 200 is an error, never an empty list.
    static func fixtures(_ sport: Sport, port: Int, token: String) async throws -> [JSONValue] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/\(sport.pathSegment)/fixtures")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        while true {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 24)
            if response.status == .tooManyRequests {
                let wait = Int(response.headers.first(name: "Retry-After") ?? "") ?? 1
                try await Task.sleep(for: .seconds(wait))
                continue
            }
            guard response.status == .ok, let list = try JSONValue.parse(body.readableBytesView).arrayValue else {
                throw RuleViolation("the \(sport) fixtures list answered \(response.status)")
            }
            return list
        }
    }

    @Test func demoPrintsATokenAndServesLiveAndCompletedFixturesOfEverySport() async throws {
        let database = try ServerProcess.newDatabasePath()
        let server = try ServerProcess.start(database: database, arguments: ["--demo", "--demo-speed", "200"])
        defer { server.kill9() }
        let token = try String(contentsOfFile: database + ".demo-token", encoding: .utf8)
        for sport in Sport.allCases {
            var statuses: [String] = []
            // Generous: the demo stores its completed fixtures first, and the whole suite may be running beside it.
            // Polled below the demo token's rate limit (5 requests a second), so that the stream below is not
            // refused for the requests made here.
            try await waitUntil(timeout: .seconds(90), every: .milliseconds(250)) {
                statuses = try await Self.fixtures(sport, port: server.port, token: token)
                    .compactMap { $0["status"]?.stringValue }
                return statuses.filter { $0 == "Completed" }.count >= 2 && statuses.contains("Live")
            }
            // The seeded completed fixtures, and perhaps a live match that ended meanwhile at 200 times real speed.
            #expect(statuses.filter { $0 == "Completed" }.count >= DemoService.completedPerSport, "\(sport)")
            #expect(statuses.contains("Live"), "\(sport): \(statuses)")
        }
        // A live stream of the demo basketball fixture delivers packets as the simulated scout sends them.
        // The live match seen above may have ended since (200 times real speed, while the other sports were
        // checked); the next one starts a moment later: looked up until one is live.
        var live: JSONValue?
        try await waitUntil(timeout: .seconds(60), every: .milliseconds(250)) {
            live = try await Self.fixtures(.basketball, port: server.port, token: token).first {
                $0["status"] == "Live"
            }
            return live != nil
        }
        let id = try #require(live?["id"]?.stringValue)
        let transcript = try await StreamClient.run(
            port: server.port, path: "/basketball/fixtures/\(id)/actions", firstFrame: StreamClient.auth(token),
            stop: { $0.packets.count >= 30 })
        #expect(transcript.seqNums == Array(1...30), "\(transcript.controls.map(\.control))")
        // Stopped while a basketball match is live (at 200 times real speed there are moments with none: looked up
        // until one is).
        try await waitUntil(timeout: .seconds(30), every: .milliseconds(250)) {
            try await Self.fixtures(.basketball, port: server.port, token: token).contains { $0["status"] == "Live" }
        }
        let stopped = server.terminate()
        // The matches the server left unfinished, as its database has them once it has stopped (the one looked up
        // above may have ended during the stop: the store is the truth).
        let store = try await SQLiteEventStore.open(path: database)
        let unfinished = Set(
            try await store.fixtures(FixtureQuery(sport: .basketball, status: .live)).fixtures.map(\.id.wire))
        try await store.close()
        #expect(stopped.status == 0)
        // The banner may come in the same read as the start-up line.
        #expect((server.startLine + stopped.output).contains(token), "the banner shows the token")
        // The banner ends with the match centre's URL, carrying a read-only viewer token in its fragment.
        let viewer = try String(contentsOfFile: database + ".demo-viewer-token", encoding: .utf8)
        #expect(viewer != token)
        // Its last line: after it come only the server's log lines (they start with their time).
        let lines = (server.startLine + stopped.output).split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let url = "http://127.0.0.1:\(server.port)/#token=\(viewer)"
        let urlLine = try #require(lines.firstIndex(of: url), "the banner shows \(url)")
        #expect(lines[(urlLine + 1)...].allSatisfy { $0.isEmpty || $0.hasPrefix("20") }, "\(lines[urlLine...])")

        // A second start prints the same token, drops the match the first left unfinished, and stores no more
        // completed fixtures.
        let again = try ServerProcess.start(database: database, arguments: ["--demo", "--demo-speed", "200"])
        defer { again.kill9() }
        // Each is dropped (Abandoned). None is left only when the match live at the look-up ended during the stop:
        // then there is nothing to drop, and that is said.
        if unfinished.isEmpty {
            print("DemoTests: no basketball match was left unfinished at the stop; the drop is not checked this time")
        }
        var statuses: [String: String] = [:]
        try await waitUntil(timeout: .seconds(30), every: .milliseconds(250)) {
            let fixtures = try await Self.fixtures(.basketball, port: again.port, token: token)
            statuses = Dictionary(
                uniqueKeysWithValues: fixtures.compactMap { fixture in
                    fixture["id"]?.stringValue.flatMap { id in
                        unfinished.contains(id) ? (id, fixture["status"]?.stringValue ?? "") : nil
                    }
                })
            return statuses.count == unfinished.count && statuses.values.allSatisfy { $0 != "Live" }
        }
        #expect(statuses.values.allSatisfy { $0 == "Abandoned" }, "\(statuses)")
        // The viewer token reads every sport, and does nothing else.
        for sport in Sport.allCases {
            #expect(try await !Self.fixtures(sport, port: again.port, token: viewer).isEmpty, "\(sport)")
        }
        var ingest = HTTPClientRequest(url: "http://127.0.0.1:\(again.port)/ingest/basketball/fixtures/\(id)/actions")
        ingest.method = .POST
        ingest.headers.add(name: "Authorization", value: "Bearer \(viewer)")
        ingest.body = .bytes(ByteBuffer(string: #"{"actionId":"\#(UUID().uuidString)","fixtureActionTypeId":2}"#))
        let refused = try await HTTPClient.shared.execute(ingest, timeout: .seconds(10))
        #expect(refused.status == .forbidden)
        let second = again.terminate()
        #expect((again.startLine + second.output).contains(token))
        #expect((again.startLine + second.output).contains("/#token=\(viewer)"))
        #expect(second.output.contains("left unfinished is dropped"))
        #expect(!second.output.contains("demo: completed"))
    }
}
