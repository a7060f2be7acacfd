import AsyncHTTPClient
import Foundation
import MatchwireCore
import NIOCore
import NIOHTTP1

/// A request the server answered with an error, or a server that could not be reached.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status, nil when there was no answer.
    public let status: Int?
    public let description: String

    init(status: Int?, _ description: String) {
        self.status = status
        self.description = description
    }
}

/// A client of a Matchwire server's HTTP API with one token: fixtures, ingestion and actions lists.
public struct ServerClient: Sendable {
    /// The server's base URL without a trailing slash, such as `http://127.0.0.1:8080`.
    public let server: String
    let token: String
    let http: HTTPClient

    public static let vendorType = "application/vnd.imggaming.dde.api+json;version=1"
    /// The longest wait for one answer.
    static let timeout: TimeAmount = .seconds(30)
    /// The largest answer read: an actions list of a long match is a few MB.
    static let maxAnswerBytes = 256 << 20
    /// Delays before the retries of an ingest that got no answer.
    static let ingestRetryDelays: [Duration] = [.milliseconds(250), .seconds(1), .seconds(2), .seconds(4), .seconds(8)]

    public init(server: String, token: String, http: HTTPClient = .shared) throws(ClientError) {
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://"), URL(string: base)?.host != nil else {
            throw ClientError(
                status: nil, "--server must be an http:// or https:// URL, such as http://127.0.0.1:8080.")
        }
        self.server = base
        self.token = token
        self.http = http
    }

    /// `GET /{S}/fixtures/{id}`.
    public func fixture(_ sport: Sport, id: UUID) async throws -> Fixture {
        try Fixture(wire: try JSONValue.parse(try await send(.GET, "/\(sport.pathSegment)/fixtures/\(id.wire)")))
    }

    /// `POST /admin/fixtures` with the fixture's id, sport, start, teams, competition, type and rules.
    @discardableResult
    public func createFixture(_ fixture: Fixture) async throws -> Fixture {
        var body: [String: JSONValue] = [
            "id": .string(fixture.id.wire), "sport": .string(fixture.sport.rawValue),
            "startDateUTC": .string(fixture.startDate.dateTimeText), "type": .string(fixture.type.rawValue),
            "teams": .array(fixture.teams.map { ["id": .string($0.id.wire), "name": .string($0.name)] }),
            "rules": fixture.rules,
        ]
        if let competition = fixture.competition {
            body["competition"] = ["id": .string(competition.id.wire), "name": .string(competition.name)]
        }
        return try Fixture(wire: try JSONValue.parse(try await send(.POST, "/admin/fixtures", body: .object(body))))
    }

    /// `POST /ingest/{S}/fixtures/{id}/actions` with an array of actions; returns their packets. A request that gets
    /// no answer is sent again, as it was, a few times: the server answers a retry with the packets it stored.
    public func ingest(_ submissions: [ActionSubmission], sport: Sport, fixtureId: UUID) async throws -> [Packet] {
        let body = JSONValue.array(submissions.map(\.json))
        let path = "/ingest/\(sport.pathSegment)/fixtures/\(fixtureId.wire)/actions"
        var delays = Self.ingestRetryDelays[...]
        while true {
            do {
                let answer = try await send(.POST, path, body: body)
                return try JSONDecoder().decode([Packet].self, from: Data(answer))
            } catch let error as ClientError where error.status == nil {
                guard let delay = delays.popFirst() else { throw error }
                try await Task.sleep(for: delay)
            }
        }
    }

    /// `GET /{S}/fixtures/{id}/actions`: the actions list as the server sent it.
    public func actions(_ sport: Sport, fixtureId: UUID) async throws -> [UInt8] {
        try await send(.GET, "/\(sport.pathSegment)/fixtures/\(fixtureId.wire)/actions")
    }

    private func send(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: Self.vendorType)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body.jsonBytes)
        }
        let response: HTTPClientResponse
        let answer: ByteBuffer
        do {
            response = try await http.execute(request, timeout: Self.timeout)
            answer = try await response.body.collect(upTo: Self.maxAnswerBytes)
        } catch {
            throw ClientError(status: nil, "\(method) \(server)\(path) got no answer: \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            let text = String(buffer: answer)
            let message = (try? JSONValue.parse(Array(text.utf8)))?["errorMessage"]?.stringValue ?? text
            throw ClientError(
                status: Int(response.status.code), "\(method) \(path) answered \(response.status.code): \(message)")
        }
        return Array(answer.readableBytesView)
    }
}
