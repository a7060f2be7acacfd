import AsyncHTTPClient
import Foundation
import MatchwireCore
import Testing

@testable import MatchwireServer

/// One log line per HTTP request (method, route, status, duration, token name; never the token), as text or as
/// JSON lines (`--log-format`), from the real program.
@Suite struct RequestLogTests {
    /// Sends a GET to the server with the token (when given) and returns the status.
    static func get(_ port: Int, _ path: String, token: String?) async throws -> UInt {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }

    /// The duration is milliseconds with three decimals, rounded to the microsecond.
    @Test func theDurationIsMillisecondsToTheMicrosecond() {
        #expect(Duration.microseconds(12_345).millisecondsText == "12.345")
        #expect(Duration.nanoseconds(12_345_500).millisecondsText == "12.346", "half a microsecond rounds up")
        #expect(Duration.nanoseconds(12_345_499).millisecondsText == "12.345")
        #expect(Duration.microseconds(7).millisecondsText == "0.007")
        #expect(Duration.seconds(2).millisecondsText == "2000.000")
        #expect(Duration.zero.millisecondsText == "0.000")
        #expect(Duration.microseconds(-3).millisecondsText == "0.000")
    }

    @Test func eachRequestIsOneTextLineWithItsRouteStatusDurationAndTokenName() async throws {
        let (database, token, fixture) = try await blocking { try ServerProcess.prepareDatabase(role: "consumer") }
        let server = try await blocking { try ServerProcess.start(database: database) }
        defer { server.kill9() }
        #expect(try await Self.get(server.port, "/v2/tabletennis/fixtures/\(fixture)", token: token) == 200)
        #expect(try await Self.get(server.port, "/v2/tabletennis/fixtures", token: "not-a-token") == 401)
        let output = try await blocking { server.terminate().output }
        let lines = output.split(separator: "\n").filter { $0.contains("request") && $0.contains("method=GET") }
        #expect(lines.count == 2, "\(output)")
        let found = try #require(lines.first { $0.contains("status=200") })
        #expect(found.contains("route=/v2/tabletennis/fixtures/{fixtureId}"), "the route, not the id: \(found)")
        #expect(found.contains("token=consumer"), "the token's name: \(found)")
        #expect(found.contains("durationMs="))
        let refused = try #require(lines.first { $0.contains("status=401") })
        #expect(!refused.contains("token="), "no name for a token that did not authenticate: \(refused)")
        #expect(!output.contains(token), "never the token itself")
        #expect(!output.contains("not-a-token"))
    }

    @Test func withLogFormatJSONEveryLineIsAJSONObject() async throws {
        let (database, token, fixture) = try await blocking { try ServerProcess.prepareDatabase(role: "consumer") }
        let server = try await blocking {
            try ServerProcess.start(database: database, arguments: ["--log-format", "json"])
        }
        defer { server.kill9() }
        #expect(try await Self.get(server.port, "/v2/tabletennis/fixtures/\(fixture)/actions", token: token) == 200)
        let output = server.startLine + (try await blocking { server.terminate().output })
        let objects = try output.split(separator: "\n").map { line in
            try JSONValue.parse(Array(line.utf8))
        }
        #expect(objects.count >= 3, "start-up, the request, the stop: \(output)")
        #expect(objects.allSatisfy { $0["level"]?.stringValue != nil && $0["message"]?.stringValue != nil })
        #expect(objects.contains { $0["message"]?.stringValue?.contains("listening on http://127.0.0.1:") == true })
        let request = try #require(objects.first { $0["message"] == "request" })
        #expect(request["method"] == "GET")
        #expect(request["route"] == "/v2/tabletennis/fixtures/{fixtureId}/actions")
        #expect(request["status"] == "200")
        #expect(request["token"] == "consumer")
        #expect(Double(request["durationMs"]?.stringValue ?? "") != nil)
        #expect(!output.contains(token))
    }

    @Test func anUnknownLogFormatIsRefusedWithASentence() async throws {
        let result = try await RunningProgram.run(["serve", "--port", "0", "--log-format", "xml"])
        #expect(result.status != 0)
        #expect(result.errors.contains("--log-format must be text or json, not xml."), "\(result.errors)")
    }
}
