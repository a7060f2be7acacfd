import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MatchwireCore
@testable import MatchwireServer
import NIOCore
import Testing

/// `GET /metrics`: the Prometheus text exposition, made by swift-prometheus from what the server records through
/// swift-metrics (issue 15, item 2; docs/operations.md, "Monitoring").
@Suite struct MetricsTests {
    @Test func metricsAreServedInThePrometheusTextFormatWithoutAToken() async throws {
        try await TestServer.start { server, client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: response.body)
            for (name, type) in [
                ("matchwire_streams_open", "gauge"), ("matchwire_stream_messages_sent_total", "counter"),
                ("matchwire_ingest_actions_total", "counter"), ("matchwire_ingest_duration_seconds", "histogram"),
                ("matchwire_delivery_lag_seconds", "histogram"),
                ("matchwire_store_commit_duration_seconds", "histogram"),
                ("matchwire_store_commit_group_size", "histogram"), ("matchwire_fixtures_live", "gauge"),
                ("matchwire_rate_limited_total", "counter"), ("matchwire_crossnode_wakeups_total", "counter"),
            ] {
                #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name) is a \(type)")
            }
            // A SQLite node has no listening connection: no listener metric that would always say down.
            #expect(!text.contains("matchwire_postgres_listener_up"))
        }
    }

    @Test func ingestedActionsAreCountedAsStoredRetriedOrRefusedBySport() async throws {
        try await TestServer.start { server, client in
            let actions = server.wholeMatch()
            try await server.ingest(Array(actions[0..<5]), with: client)
            // The same five again: a scout's retry, answered with the stored packets.
            let retry = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array(Array(actions[0..<5])).buffer)
            #expect(retry.status == .ok)
            // An array of three with a point for nobody: refused as a whole.
            let refused = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array([server.action(1102, home: true), server.action(1102), server.action(1102)])
                    .buffer)
            #expect(refused.status == .unprocessableContent)
            let metrics = try await Exposition.scrape(client)
            func count(_ result: String) -> Double? {
                metrics.value("matchwire_ingest_actions_total", ["sport": "tabletennis", "result": result])
            }
            #expect(count("stored") == 5)
            #expect(count("retry") == 5)
            #expect(count("refused") == 3)
            #expect(metrics.value("matchwire_ingest_actions_total", ["sport": "soccer", "result": "stored"]) == 0)
            #expect(metrics.value("matchwire_ingest_duration_seconds_count") == 3, "one per ingest request")
            // The first two requests stored (a new packet each time, or a retry answered from the store).
            #expect((metrics.value("matchwire_store_commit_duration_seconds_count") ?? 0) >= 1)
            #expect(
                metrics.value("matchwire_store_commit_group_size_count")
                    == metrics.value("matchwire_store_commit_duration_seconds_count"))
        }
    }

    @Test func liveFixturesAreCountedFromTheStoreOnEachScrape() async throws {
        try await TestServer.start { server, client in
            #expect(try await Exposition.scrape(client).value("matchwire_fixtures_live", ["sport": "tabletennis"]) == 0)
            // Match start: the fixture is live.
            try await server.ingest([server.action(2), server.action(4)], with: client)
            let metrics = try await Exposition.scrape(client)
            #expect(metrics.value("matchwire_fixtures_live", ["sport": "tabletennis"]) == 1)
            #expect(metrics.value("matchwire_fixtures_live", ["sport": "soccer"]) == 0)
        }
    }

    @Test func httpRequestsAreCountedByRoutePatternAndStatusWithNoIdOrTokenInAnyLabel() async throws {
        try await TestServer.start { server, client in
            let path = "/v2/tabletennis/fixtures/\(server.fixture.id.wire)"
            #expect(try await client.execute(uri: path, method: .get, headers: server.consumerHeaders()).status == .ok)
            #expect(try await client.execute(uri: path, method: .get, headers: server.consumerHeaders()).status == .ok)
            let unknown = try await client.execute(uri: "/no/such/path", method: .get)
            #expect(unknown.status == .notFound)
            let metrics = try await Exposition.scrape(client)
            let route = "/v2/tabletennis/fixtures/{fixtureId}"
            #expect(
                metrics.value(
                    "matchwire_http_requests_total", ["method": "GET", "route": route, "status": "200"]) == 2)
            #expect(
                metrics.value(
                    "matchwire_http_requests_total", ["method": "GET", "route": "NotFound", "status": "404"]) == 1)
            #expect(
                metrics.value("matchwire_http_request_duration_seconds_count", ["method": "GET", "route": route])
                    == 2)
            #expect(!metrics.text.contains(server.fixture.id.wire), "no fixture id in a label")
            #expect(!metrics.text.contains("/no/such/path"), "no unrouted path in a label")
            for token in [server.consumer, server.scout, server.admin] { #expect(!metrics.text.contains(token)) }
        }
    }

    @Test func requestsRefusedByTheRateLimitAreCounted() async throws {
        try await TestServer.start(rateLimit: 0.001, rateBurst: 1) { server, client in
            let path = "/v2/tabletennis/fixtures"
            #expect(try await client.execute(uri: path, method: .get, headers: server.consumerHeaders()).status == .ok)
            let refused = try await client.execute(uri: path, method: .get, headers: server.consumerHeaders())
            #expect(refused.status == .tooManyRequests)
            #expect(try await Exposition.scrape(client).value("matchwire_rate_limited_total") == 1)
        }
    }

    @Test func aBettingStreamIsCountedOpenItsPacketsSentWithTheirLagAndItsCloseByCode() async throws {
        try await TestServer.start { server, client in
            let transcript = StreamTranscript()
            let stream = Task {
                try await StreamClient.run(
                    port: try #require(client.port), path: server.streamPath(),
                    firstFrame: StreamClient.auth(server.consumer),
                    into: transcript)
            }
            try await Exposition.waitUntil(client) {
                $0.value(Self.open, ["feed": "betting", "stream": "actions"]) == 1
            }
            try await waitUntil { !transcript.controls.isEmpty }
            let actions = server.wholeMatch()
            try await server.ingest(Array(actions[0..<10]), with: client)
            try await server.ingest(Array(actions[10...]), with: client)
            _ = try await stream.value
            #expect(transcript.seqNums == Array(1...actions.count))
            let metrics = try await Exposition.waitUntil(client) {
                $0.value(Self.open, ["feed": "betting", "stream": "actions"]) == 0
            }
            let packets = Double(actions.count)
            #expect(metrics.value("matchwire_stream_messages_sent_total", ["kind": "data"]) == packets)
            // One stream: one observation per packet, whichever path wrote it.
            #expect(metrics.value("matchwire_delivery_lag_seconds_count", ["feed": "betting"]) == packets)
            #expect(metrics.value("matchwire_delivery_lag_seconds_count", ["feed": "media"]) == 0)
            // The INFO of the auth exchange and the close frame.
            #expect(metrics.value("matchwire_stream_messages_sent_total", ["kind": "control"]) == 2)
            #expect(metrics.value("matchwire_stream_closes_total", ["code": "1000"]) == 1)
        }
    }

    @Test func theMediaLagLeavesOutTheConfiguredDelayAndABacklogIsNotMeasured() async throws {
        try await TestServer.start(configure: { $0.mediaDelay = 5 }) { server, client in
            let actions = server.wholeMatch()
            // Stored before the stream starts: its backlog, not live.
            try await server.ingest(Array(actions[0..<3]), with: client)
            let transcript = StreamTranscript()
            let stream = Task {
                try await StreamClient.run(
                    port: try #require(client.port), path: server.streamPath(media: true),
                    firstFrame: StreamClient.auth(server.consumer), into: transcript)
            }
            try await Exposition.waitUntil(client) { $0.value(Self.open, ["feed": "media", "stream": "actions"]) == 1 }
            // A statistics stream is counted apart from the actions.
            let statistics = Task {
                try await StreamClient.run(
                    port: try #require(client.port), path: server.streamPath(media: true, content: .statistics),
                    firstFrame: nil)
            }
            try await Exposition.waitUntil(client) {
                $0.value(Self.open, ["feed": "media", "stream": "statistics"]) == 1
                    && $0.value(Self.open, ["feed": "media", "stream": "actions"]) == 1
            }
            statistics.cancel()
            try await waitUntil { !transcript.controls.isEmpty }
            try await server.ingest([actions[3]], with: client)
            try await waitUntil(timeout: .seconds(60)) { transcript.seqNums.count == 4 }
            stream.cancel()
            // Recorded once the frame is written, which may be just after the client has read it.
            let metrics = try await Exposition.waitUntil(client) {
                $0.value("matchwire_delivery_lag_seconds_count", ["feed": "media"]) != 0
            }
            #expect(
                metrics.value("matchwire_delivery_lag_seconds_count", ["feed": "media"]) == 1, "the live packet only")
            // Held back 5 s, measured without them: within the 5 s bucket, whatever the machine's load.
            #expect(metrics.value("matchwire_delivery_lag_seconds_bucket", ["feed": "media", "le": "5.0"]) == 1)
            #expect(metrics.value("matchwire_stream_messages_sent_total", ["kind": "data"]) == 4)
        }
    }

    @Test func withNoMetricsTheEndpointIsNotThere() async throws {
        let (database, _, _) = try await blocking { try ServerProcess.prepareDatabase(role: "consumer") }
        let server = try await blocking { try ServerProcess.start(database: database, arguments: ["--no-metrics"]) }
        defer { server.kill9() }
        #expect(try await RequestLogTests.get(server.port, "/metrics", token: nil) == 404)
        #expect(try await RequestLogTests.get(server.port, "/health", token: nil) == 200)
        _ = try await blocking { server.terminate() }
    }

    static let open = "matchwire_streams_open"
}

/// A scrape of `/metrics`, read back sample by sample.
struct Exposition {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let text: String
    let samples: [Sample]

    init(_ text: String) {
        self.text = text
        samples = text.split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...])
            else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                return Sample(name: String(series), labels: [:], value: value)
            }
            var labels: [String: String] = [:]
            for match in series[brace...].matches(of: /([a-zA-Z_]+)="([^"]*)"/) {
                labels[String(match.output.1)] = String(match.output.2)
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    /// The value of the series with exactly these labels.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    static func scrape(_ client: LiveClient) async throws -> Exposition {
        let response = try await client.execute(uri: "/metrics", method: .get)
        #expect(response.status == .ok)
        return Exposition(String(buffer: response.body))
    }

    /// Scrapes until `condition` holds (what the server records after a client saw the result, such as a closed
    /// stream's gauge); fails after `timeout`.
    @discardableResult
    static func waitUntil(
        _ client: LiveClient, timeout: Duration = .seconds(30), _ condition: (Exposition) -> Bool
    ) async throws -> Exposition {
        let deadline = ContinuousClock.now + timeout
        while true {
            let scrape = try await scrape(client)
            if condition(scrape) { return scrape }
            guard ContinuousClock.now < deadline else {
                Issue.record("the metrics never met the condition:\n\(scrape.text)")
                return scrape
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
