import AsyncHTTPClient
import Foundation
import MatchwireCore
import NIOCore
import Testing

/// The match centre in a real browser (headless Chromium through chromedriver) against a real server process,
/// checked only through the page's `data-mw` contract (docs/matchcentre.md), as an integrator's own checks would.
@Suite(.serialized) struct MatchCentreBrowserTests {
    static let browserAvailable: Bool = {
        if let missing = WebDriver.missing {
            print("⚠️ SKIPPED: the match centre's browser tests need Chromium and chromedriver: \(missing).")
            return false
        }
        return true
    }()

    /// A soccer fixture made with the command line, with an admin token to play it and a consumer token to watch.
    struct Match {
        let database: String
        let admin: String
        let viewer: String
        let fixture: String
        let home: String
        let away: String

        init() throws {
            database = try ServerProcess.newDatabasePath()
            admin = try ServerProcess.run([
                "token", "create", "--name", "scout", "--role", "admin", "--database", database,
            ])
            viewer = try ServerProcess.run([
                "token", "create", "--name", "viewer", "--role", "consumer", "--database", database,
            ])
            let created = try ServerProcess.output(of: [
                "fixture", "create", "--sport", "soccer", "--home", "Arsenal", "--away", "Chelsea", "--database",
                database,
            ])
            let lines = created.split(separator: "\n")
            fixture = String(lines.last ?? "")
            let teams = try #require(lines.first { $0.hasPrefix("home team ") })
                .replacingOccurrences(of: "home team ", with: "").replacingOccurrences(of: " away team ", with: "")
                .split(separator: ",")
            home = String(teams[0])
            away = String(teams[1])
        }

        /// Sends actions as the scout does and returns the number of the last packet stored.
        @discardableResult
        func ingest(_ port: Int, _ actions: [JSONValue]) async throws -> Int {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/ingest/soccer/fixtures/\(fixture)/actions")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(admin)")
            request.body = .bytes(ByteBuffer(bytes: JSONValue.array(actions).jsonBytes))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try JSONValue.parse(try await response.body.collect(upTo: 1 << 20).readableBytesView)
            try #require(response.status == .created, "\(actions): \(body)")
            let packet = body.arrayValue?.last ?? body
            return try #require(packet["fixtureAction"]?["fixtureSeqNum"]?.intValue)
        }

        func action(_ type: Int, team: String? = nil, subType: Int? = nil, id: UUID = UUID(), sendType: String? = nil)
            -> JSONValue
        {
            var fields: [String: JSONValue] = [
                "actionId": .string(id.uuidString), "fixtureActionTypeId": .number(type),
            ]
            if let team { fields["team"] = .object(["id": .string(team)]) }
            if let subType { fields["fixtureActionSubTypeId"] = .number(subType) }
            if let sendType { fields["sendType"] = .string(sendType) }
            return .object(fields)
        }
    }

    /// Polls the page until `script` returns `expected`, for at most `timeout`; returns the last value.
    @discardableResult
    static func waitFor(
        _ browser: WebDriver, _ script: String, toBe expected: JSONValue, within timeout: Duration = .seconds(10)
    ) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        var value = try await browser.run(script)
        while value != expected, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            value = try await browser.run(script)
        }
        return value
    }

    /// A row of the statistics panel as "home-away": an action type's (`subType` nil) or a sub type's; null when
    /// the panel has no such row.
    static func statistic(_ type: Int, subType: Int? = nil) -> String {
        let row =
            "[data-mw=\"statistic\"][data-action-id=\"\(type)\"]"
            + (subType.map { "[data-sub-action-id=\"\($0)\"]" } ?? ":not([data-sub-action-id])")
        return "const r = document.querySelector('\(row)');"
            + " return r ? r.querySelector('.home').textContent + '-' + r.querySelector('.away').textContent : null"
    }

    static func text(_ name: String) -> String {
        "const e = document.querySelector('[data-mw=\"\(name)\"]'); return e ? e.textContent.trim() : null"
    }

    static let connectionState =
        "const e = document.querySelector('[data-mw=\"connection\"]'); return e ? e.dataset.state : null"

    @Test(.enabled(if: browserAvailable))
    func aViewerFollowsAMatchThroughAGoalItsDisallowanceAServerRestartAndTheFinalWhistle() async throws {
        let match = try Match()
        var server = try ServerProcess.start(database: match.database)
        defer { server.kill9() }
        let port = server.port
        let browser = try await WebDriver.start()
        do {
            // The index, opened with the token in the fragment, lists the scheduled fixture, then sees it go live.
            try await browser.open("http://127.0.0.1:\(port)/#token=\(match.viewer)")
            let row = "document.querySelector('[data-mw=\"fixture\"][data-fixture-id=\"\(match.fixture)\"]')"
            #expect(try await Self.waitFor(browser, "return \(row) !== null", toBe: true) == true)
            #expect(try await browser.run("return location.href.includes('token')") == false, "the token left the URL")
            var last = try await match.ingest(port, [match.action(4)])
            #expect(
                try await Self.waitFor(browser, "const r = \(row); return r && r.dataset.status", toBe: "Live")
                    == "Live")

            // The match page follows the betting stream.
            try await browser.open("http://127.0.0.1:\(port)/match/soccer/\(match.fixture)")
            #expect(try await Self.waitFor(browser, Self.connectionState, toBe: "live") == "live")
            #expect(try await browser.run(Self.text("home-name")) == "Arsenal")
            #expect(try await browser.run(Self.text("away-name")) == "Chelsea")
            last = try await match.ingest(port, [match.action(6)])

            // A goal shows within 2 seconds of its acknowledgement.
            let goal = UUID()
            last = try await match.ingest(port, [match.action(104, team: match.home, subType: 10401, id: goal)])
            #expect(try await Self.waitFor(browser, Self.text("home-score"), toBe: "1", within: .seconds(2)) == "1")
            // The statistics panel follows its own stream: the goal and its sub type, home against away.
            #expect(try await Self.waitFor(browser, Self.statistic(104), toBe: "1-0") == "1-0")
            #expect(try await browser.run(Self.statistic(104, subType: 10401)) == "1-0")
            // Possession, from the summary.
            last = try await match.ingest(port, [match.action(15, team: match.away)])
            let possession =
                "const e = document.querySelector('[data-mw=\"possession\"]'); return e ? e.dataset.side || null : null"
            #expect(try await Self.waitFor(browser, possession, toBe: "away") == "away")

            // Disallowed: the goal is taken off the score and its action shown deleted.
            last = try await match.ingest(port, [match.action(104, team: match.home, id: goal, sendType: "Deleted")])
            #expect(try await Self.waitFor(browser, Self.text("home-score"), toBe: "0", within: .seconds(2)) == "0")
            let deleted =
                "return [...document.querySelectorAll('[data-mw=\"timeline\"] [data-mw=\"action\"]')]"
                + ".filter(e => e.dataset.sendType === 'Deleted').map(e => Number(e.dataset.seq))"
            #expect(try await Self.waitFor(browser, deleted, toBe: .array([.number(last)])) == .array([.number(last)]))
            // The totals leave it out: no goal is counted for either side, the possession still is.
            #expect(try await Self.waitFor(browser, Self.statistic(104), toBe: .null) == .null)
            #expect(try await browser.run(Self.statistic(15)) == "0-1")

            // The server restarts on the same port; the page reconnects by itself and resumes where it was.
            let stopped = server.terminate()
            #expect(stopped.status == 0)
            #expect(
                try await Self.waitFor(browser, Self.connectionState, toBe: "reconnecting", within: .seconds(10))
                    == "reconnecting")
            server = try ServerProcess.start(database: match.database, port: port)
            #expect(try await Self.waitFor(browser, Self.connectionState, toBe: "live", within: .seconds(30)) == "live")
            last = try await match.ingest(port, [match.action(104, team: match.away, subType: 10402)])
            #expect(try await Self.waitFor(browser, Self.text("away-score"), toBe: "1", within: .seconds(2)) == "1")
            #expect(try await Self.waitFor(browser, Self.statistic(104, subType: 10402), toBe: "0-1") == "0-1")

            // Second half and the end: the stream ends and the page says so.
            last = try await match.ingest(
                port, [match.action(7), match.action(6), match.action(7), match.action(5), match.action(21)])
            #expect(
                try await Self.waitFor(browser, Self.connectionState, toBe: "finished", within: .seconds(10))
                    == "finished")
            #expect(try await browser.run(Self.text("home-score")) == "0")

            // Every packet exactly once, across the restart.
            let seqs =
                "return [...document.querySelectorAll('[data-mw=\"timeline\"] [data-mw=\"action\"]')]"
                + ".map(e => Number(e.dataset.seq)).sort((a, b) => a - b)"
            let expected = JSONValue.array((1...last).map { .number($0) })
            #expect(try await Self.waitFor(browser, seqs, toBe: expected) == expected)
            let periods = "return document.querySelectorAll('[data-mw=\"period-score\"]').length"
            #expect(try await browser.run(periods) == .number(2))
            // The statistics stream ended with its finished packet too: the goal, the possession, the disallowance,
            // the header and the finish made one statistics packet each.
            let statisticsState =
                "const e = document.querySelector('[data-mw=\"statistics-connection\"]'); return e ? e.dataset.state : null"
            #expect(try await Self.waitFor(browser, statisticsState, toBe: "finished") == "finished")
            let statisticsSeq = "return document.querySelector('[data-mw=\"statistics\"]').dataset.seq"
            #expect(try await browser.run(statisticsSeq) == "5")
            #expect(try await browser.run(Self.statistic(104)) == "0-1")

            // The score is announced to screen readers.
            #expect(
                try await browser.run("return document.querySelector('[aria-live] [data-mw=\"home-score\"]') !== null")
                    == true)

            // The finished match replayed fast from the start: every packet once more, exactly once, and finished.
            let cleared = try await browser.run(
                "document.querySelector('[data-mw=\"replay-fast\"]').click();"
                    + " return document.querySelectorAll('[data-mw=\"action\"]').length")
            #expect(cleared == .number(0), "the replay starts from an empty timeline")
            #expect(try await Self.waitFor(browser, seqs, toBe: expected, within: .seconds(20)) == expected)
            #expect(
                try await Self.waitFor(browser, Self.connectionState, toBe: "finished", within: .seconds(20))
                    == "finished")
            #expect(try await browser.run(Self.text("away-score")) == "1")
            #expect(try await Self.waitFor(browser, statisticsSeq, toBe: "5") == "5")
            #expect(try await browser.run(Self.statistic(104)) == "0-1")

            // No errors in the console, but the refused connections while the server was down.
            let errors = try await browser.consoleMessages().filter { entry in
                entry.level == "SEVERE" && !entry.message.contains("ERR_CONNECTION_REFUSED")
                    && !(entry.message.contains("WebSocket connection to") && entry.message.contains("failed"))
            }
            #expect(errors.isEmpty, "\(errors)")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }
}
