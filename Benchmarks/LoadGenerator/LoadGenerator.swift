import ArgumentParser
import AsyncHTTPClient
import Foundation
import LoadStatistics
import MatchwireCore
import NIOCore

@main
struct LoadGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matchwire-load",
        abstract: "Load generator for Matchwire and its peers; prints one JSON object of results.",
        subcommands: [Fanout.self, Idle.self, Ingest.self, RestFixture.self])
}

/// Options shared by the scenarios.
struct Target: ParsableArguments {
    @Option(help: "matchwire or nchan.") var target = "matchwire"
    @Option(help: "HTTP base URL of the server, such as http://127.0.0.1:18080.") var url: String
    @Option(help: "Admin token (matchwire).") var token = ""
    @Option(help: "Spread subscribers over this many loopback addresses, 127.0.0.1 and up.") var addresses = 1
    @Option(help: "Process ids of the server (several for nginx), for CPU and memory.") var serverPid: [Int32] = []
    @Option(help: "HTTP base URL the subscribers connect to, when not --url: another node of the same feed.")
    var subscribeUrl: String?
    @Option(help: "The target's name in the results. Default: --target.") var label: String?

    var isNchan: Bool { target == "nchan" }

    /// The name the results give the target.
    var name: String { label ?? target }

    /// The port the subscribers connect to.
    var port: Int { URL(string: subscribeUrl ?? url)?.port ?? 80 }

    func usage() -> ProcessUsage? {
        let usages = serverPid.compactMap { pid -> ProcessUsage? in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            else { return nil }
            return ProcessUsage(stat: stat, status: status)
        }
        return usages.isEmpty ? nil : ProcessUsage.sum(usages)
    }

    /// Where subscriber `number` on `channel` (a fixture id, or an nchan channel) connects: its loopback address,
    /// and the stream's path.
    func stream(_ number: Int, channel: String, startPosition: Int) -> (host: String, path: String) {
        let host = "127.0.0.\(1 + number % max(addresses, 1))"
        return (
            host,
            isNchan ? "/sub/\(channel)" : "/v2/tabletennis/fixtures/\(channel)/actions?startPosition=\(startPosition)"
        )
    }
}

/// The HTTP side: fixtures, ingestion and nchan publishing.
struct Publisher {
    let target: Target
    let http: HTTPClient

    init(target: Target) {
        self.target = target
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 128)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static let pointTemplate = PacketTemplate.pendingPoint()

    /// A table tennis fixture with Start Fixture and Start Period stored: returns its id and home team id.
    func newFixture() async throws -> (id: String, home: String) {
        let id = UUID().uuidString.lowercased()
        let body = """
            {"id":"\(id)","sport":"tabletennis","startDateUTC":"2025-05-20T08:30:00","type":"Simulation",
             "teams":[{"name":"Load Home"},{"name":"Load Away"}]}
            """
        let created = try await send("POST", "/admin/fixtures", body)
        guard let home = (try JSONValue.parse(created))["teams"]?.arrayValue?.first?["id"]?.stringValue else {
            throw LoadError("the created fixture has no home team")
        }
        _ = try await send(
            "POST", "/ingest/v2/tabletennis/fixtures/\(id)/actions",
            #"[{"actionId":"\#(UUID())","fixtureActionTypeId":4},{"actionId":"\#(UUID())","fixtureActionTypeId":6}]"#)
        return (id, home)
    }

    /// A Pending point: always allowed while a game is open, and it changes no score, so any number can be sent.
    static func pendingPoint(_ index: Int, home: String) -> String {
        #"{"actionId":"\#(ActionNumber.id(index))","fixtureActionTypeId":1102,"sendTypeId":1,"team":{"id":"\#(home)"}}"#
    }

    /// Publishes action `index`: an ingest on Matchwire, the same packet bytes on nchan.
    func publish(_ index: Int, channel: String, home: String) async throws {
        if target.isNchan {
            _ = try await send("POST", "/pub/\(channel)", Self.pointTemplate.with(index))
        } else {
            _ = try await send(
                "POST", "/ingest/v2/tabletennis/fixtures/\(channel)/actions", Self.pendingPoint(index, home: home))
        }
    }

    @discardableResult
    func send(_ method: String, _ path: String, _ body: String? = nil) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: target.url + path)
        request.method = .RAW(value: method)
        request.headers.add(name: "Authorization", value: "Bearer \(target.token)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(30))
        let answer = try await response.body.collect(upTo: 64 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw LoadError("\(method) \(path) answered \(response.status.code): \(String(buffer: answer))")
        }
        return Array(answer.readableBytesView)
    }
}

/// The packet bytes Matchwire would store for a Pending point, with the action id replaced per action.
struct PacketTemplate {
    let before: String
    let after: String

    static func pendingPoint() -> PacketTemplate {
        let home = TeamRef(id: UUID(), name: "Load Home", homeTeam: true)
        let fixture = Fixture(
            id: UUID(), sport: .tableTennis, startDate: .init(millisecondsSince1970: 1_750_000_000_000),
            teams: [home, TeamRef(id: UUID(), name: "Load Away", homeTeam: false)],
            rules: (try? Sport.tableTennis.rules(nil).rulesObject) ?? [:])
        var text = ""
        if var engine = try? FixtureEngine(fixture: fixture) {
            let start = fixture.startDate
            for (type, send) in [(4, SendType.confirmed), (6, .confirmed), (1102, .pending)] {
                let submission = ActionSubmission(
                    actionId: type == 1102 ? UUID(uuidString: ActionNumber.id(0)) ?? UUID() : UUID(),
                    actionType: .id(type), sendType: send, teamId: type == 1102 ? home.id : nil)
                if case .stored(let packet)? = try? engine.ingest(submission, receivedAt: start, traceId: "0") {
                    text = String(decoding: packet.jsonBytes, as: UTF8.self)
                }
            }
        }
        let marker = ActionNumber.id(0)
        let parts = text.components(separatedBy: marker)
        return PacketTemplate(before: parts.first ?? text, after: parts.dropFirst().joined(separator: marker))
    }

    func with(_ index: Int) -> String { before + ActionNumber.id(index) + after }
}

struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Prints the results as one JSON object on standard output.
func report(_ fields: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
