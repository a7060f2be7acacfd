import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import MatchwireCore
@testable import MatchwireServer
import MatchwireStore
import NIOCore
import NIOWebSocket
import Synchronization
import Testing

/// The live streams (protocol.md §3) over real sockets with a real websocket client. The tests of what a stream
/// delivers run on both topics, the actions and the statistics (§5): one machinery serves both. One test at a time:
/// several of them run dozens of clients each, and together they starved the rest of the suite on 2 cores.
@Suite(.serialized) struct StreamTests {
    // MARK: Before the upgrade

    @Test(arguments: StreamContent.allCases) func refusedUpgradesArePlainHTTPAnswers(content: StreamContent)
        async throws
    {
        try await TestServer.start { server, client in
            let port = try #require(client.port)
            let unknown = try await upgradeAttempt(
                port, "/v2/tabletennis/fixtures/\(UUID().wire)/\(content.pathSegment)")
            #expect(unknown.status == 404)
            #expect(unknown.message.hasSuffix("does not exist in tabletennis."))
            let noAccept = try await upgradeAttempt(port, server.streamPath(content: content), accept: nil)
            #expect(noAccept.status == 400)
            #expect(noAccept.message == "Request is missing required HTTP header 'Accept'")
            let wrongAccept = try await upgradeAttempt(port, server.streamPath(content: content), accept: "text/html")
            #expect(wrongAccept.status == 406)
            // A browser page cannot send Accept on a websocket: with Origin, a missing one is no refusal (the
            // unknown fixture is what is refused), but a wrong one still is.
            let unknownPath = "/v2/tabletennis/fixtures/\(UUID().wire)/\(content.pathSegment)"
            let browser = try await upgradeAttempt(port, unknownPath, accept: nil, origin: "http://127.0.0.1:\(port)")
            #expect(browser.status == 404, "\(browser.message)")
            let browserWrong = try await upgradeAttempt(
                port, server.streamPath(content: content), accept: "text/html", origin: "http://127.0.0.1:\(port)")
            #expect(browserWrong.status == 406)
            let badPosition = try await upgradeAttempt(
                port, server.streamPath(query: "startPosition=-1", content: content))
            #expect(badPosition.status == 400)
            #expect(badPosition.message == "Query parameter 'startPosition' must be a whole number from 0 to 10000000.")
            for query in ["startPosition=%2B5", "startPosition=1&startPosition=2"] {
                let strict = try await upgradeAttempt(port, server.streamPath(query: query, content: content))
                #expect(strict.status == 400, "\(query)")
                #expect(strict.message.contains("'startPosition'"), "\(query): \(strict.message)")
            }
            let badSpeed = try await upgradeAttempt(
                port, server.streamPath(media: true, query: "speed=slow", content: content))
            #expect(badSpeed.status == 400)
            #expect(badSpeed.message == "Query parameter 'speed' must be normal or fast.")
            let notAStream = try await upgradeAttempt(port, "/v2/tabletennis/fixtures")
            #expect(notAStream.status == 400)
            #expect(notAStream.message.hasPrefix("Only the action and statistics streams"))
            let plainMedia = try await client.execute(
                uri: server.streamPath(media: true, content: content), method: .get, headers: server.consumerHeaders())
            #expect(plainMedia.status == .upgradeRequired)
            #expect(server.hub.subscriberCount(StreamTopic(fixtureId: server.fixture.id, content: content)) == 0)
        }
    }

    // MARK: Auth exchange

    @Test func validTokenIsAcceptedWithAnInfoMessage() async throws {
        try await TestServer.start { server, client in
            let transcript = try await StreamClient.run(
                port: try #require(client.port), path: server.streamPath(),
                firstFrame: StreamClient.auth(server.consumer), stop: { !$0.controls.isEmpty })
            #expect(transcript.controls.first?.control == "INFO: Authorisation accepted")
        }
    }

    @Test(arguments: [
        ("not json at all", "Authentication message had incorrect format"),
        (#"{"token": "abc"}"#, "Authentication message had incorrect format"),
        (#"{"authToken": 42}"#, "Authentication message had incorrect format"),
        (#"{"authToken": "mw_unknown"}"#, "The supplied authentication is invalid"),
    ])
    func badAuthMessageGetsAnErrorAndClose1008(frame: String, message: String) async throws {
        try await TestServer.start { server, client in
            let transcript = try await StreamClient.run(
                port: try #require(client.port), path: server.streamPath(), firstFrame: frame)
            #expect(transcript.controls.map(\.control) == ["ERROR: \(message)"])
            #expect(transcript.closeCode == .policyViolation)
            #expect(transcript.packets.isEmpty)
        }
    }

    @Test(arguments: StreamContent.allCases)
    func tokenNotEntitledToTheFeedIsRefusedWithASentence(content: StreamContent) async throws {
        try await TestServer.start { server, client in
            let issued = AccessControl.issue(
                name: "betting-only", role: .consumer, feeds: [.betting], sports: [.tableTennis], now: .now)
            try await server.store.insertToken(issued.record)
            let port = try #require(client.port)
            let media = try await StreamClient.run(
                port: port, path: server.streamPath(media: true, content: content),
                firstFrame: StreamClient.auth(issued.token))
            #expect(
                media.controls.first?.control
                    == "ERROR: The token 'betting-only' is not entitled to the media feed of tabletennis.")
            #expect(media.closeCode == .policyViolation)
            let betting = try await StreamClient.run(
                port: port, path: server.streamPath(content: content), firstFrame: StreamClient.auth(issued.token),
                stop: { !$0.controls.isEmpty })
            #expect(betting.controls.first?.control == "INFO: Authorisation accepted")
        }
    }

    @Test func silentClientIsClosedAfterTheAuthTimeout() async throws {
        try await TestServer.start(configure: { $0.authTimeout = 0.3 }) { server, client in
            let started = ContinuousClock.now
            let transcript = try await StreamClient.run(
                port: try #require(client.port), path: server.streamPath(), firstFrame: nil)
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            #expect(
                transcript.controls.map(\.control) == [
                    "ERROR: No authentication message was received within 0.3 seconds."
                ])
            #expect(transcript.closeCode == .policyViolation)
        }
    }

    @Test func connectsCountAgainstTheRateLimit() async throws {
        try await TestServer.start(rateLimit: 0.01, rateBurst: 2) { server, client in
            let port = try #require(client.port)
            for _ in 1...2 {
                let accepted = try await StreamClient.run(
                    port: port, path: server.streamPath(), firstFrame: StreamClient.auth(server.consumer),
                    stop: { !$0.controls.isEmpty })
                #expect(accepted.controls.first?.control == "INFO: Authorisation accepted")
            }
            let limited = try await StreamClient.run(
                port: port, path: server.streamPath(), firstFrame: StreamClient.auth(server.consumer))
            let message = try #require(limited.controls.first?.json["message"]?.stringValue)
            #expect(message.hasPrefix("Rate limit of 0.01 requests per second exceeded; retry in"))
            #expect(limited.closeCode == .policyViolation)
        }
    }

    @Test func clientFrameOverTheLimitIsClosedWith1009() async throws {
        try await TestServer.start { server, client in
            let huge = #"{"authToken": ""# + String(repeating: "x", count: 20_000) + #""}"#
            let transcript = try await StreamClient.run(
                port: try #require(client.port), path: server.streamPath(), firstFrame: huge)
            #expect(transcript.closeCode == .messageTooLarge)
            #expect(transcript.controls.isEmpty)
        }
    }

    // MARK: Websocket frames

    @Test func fragmentedAuthIsJoinedPingsAreAnsweredAndTheClientsCloseIsEchoed() async throws {
        try await TestServer.start { server, client in
            let port = try #require(client.port)
            let socket = try await RawWebSocket.connect(port: port, path: server.streamPath())
            let auth = Array(StreamClient.auth(server.consumer).utf8)
            try socket.send(.text, auth[..<10], fin: false)
            try socket.send(.continuation, auth[10..<20], fin: false)
            try socket.send(.continuation, auth[20...])
            let accepted = try #require(try await socket.receive())
            #expect(accepted.opcode == .text && accepted.text.contains("Authorisation accepted"), "\(accepted.text)")
            try await waitUntil { server.hub.subscriberCount(fixtureId: server.fixture.id) == 1 }
            try socket.send(.ping, Array("still there?".utf8))
            #expect(
                try await socket.receive(skippingText: true)
                    == .init(opcode: .pong, payload: Array("still there?".utf8)))
            // 4000, a close code of the application's own: the server answers with the same code, then closes.
            try socket.send(.connectionClose, [0x0f, 0xa0] + Array("done".utf8))
            #expect(
                try await socket.receive(skippingText: true) == .init(opcode: .connectionClose, payload: [0x0f, 0xa0]))
            #expect(try await socket.receive() == nil)
            try await waitUntil { server.hub.subscriberCount(fixtureId: server.fixture.id) == 0 }
        }
    }

    @Test func continuationWithNothingToContinueIsClosedWith1002() async throws {
        try await TestServer.start { server, client in
            let socket = try await RawWebSocket.connect(port: try #require(client.port), path: server.streamPath())
            try socket.send(.continuation, Array("stray".utf8))
            let close = try #require(try await socket.receive())
            #expect(close.opcode == .connectionClose)
            #expect(Array(close.payload.prefix(2)) == [0x03, 0xea], "1002")
        }
    }

    // MARK: Heartbeats

    @Test func heartbeatsComeAtTheConfiguredIntervalAfterAcceptance() async throws {
        try await TestServer.start(configure: { $0.heartbeatInterval = 0.2 }) { server, client in
            // Before the connect, so surely before the acceptance the heartbeats count from: a client that reads
            // the INFO message late on a loaded machine cannot make the heartbeats look early.
            let connecting = ContinuousClock.now
            let transcript = try await StreamClient.run(
                port: try #require(client.port), path: server.streamPath(),
                firstFrame: StreamClient.auth(server.consumer), stop: { $0.controls.count >= 6 })
            let controls = transcript.controls
            #expect(controls.first?.control == "INFO: Authorisation accepted")
            let heartbeats = controls.dropFirst()
            #expect(heartbeats.count == 5)
            for heartbeat in heartbeats {
                let message = try #require(heartbeat.json["message"]?.stringValue)
                #expect(heartbeat.json["level"]?.stringValue == "INFO")
                #expect(message.hasPrefix("Heartbeat sent at "))
                let time = String(message.dropFirst("Heartbeat sent at ".count))
                #expect(Timestamp(iso8601: time) != nil && time.count == 24, "an ISO time to the millisecond: \(time)")
            }
            // Five intervals of 0.2 s after acceptance: about a second, never less.
            let span = try #require(heartbeats.last).arrived - connecting
            #expect(span >= .seconds(1) && span < .seconds(10), "\(span)")
        }
    }

    // MARK: Delivery

    @Test(arguments: StreamContent.allCases)
    func subscriberConnectedBeforeStartFixtureReceivesTheWholeMatchInOrder(content: StreamContent) async throws {
        try await TestServer.start { server, client in
            let port = try #require(client.port)
            let transcript = StreamTranscript()
            let subscriber = Task {
                try await StreamClient.run(
                    port: port, path: server.streamPath(content: content),
                    firstFrame: StreamClient.auth(server.consumer), into: transcript)
            }
            try await waitUntil { !transcript.controls.isEmpty }
            for action in server.wholeMatch() { try await server.ingest([action], with: client) }
            _ = try await subscriber.value
            let listed = try await server.stored(content)
            #expect(listed.count == (content == .actions ? 30 : 23), "30 actions; 22 points and the finish")
            #expect(transcript.seqNums == Array(1...listed.count))
            #expect(transcript.packets == listed)
            #expect(transcript.packets.last?["finished"] == .bool(true))
            #expect(transcript.closeCode == .normalClosure, "closed with 1000 after the finished packet")
        }
    }

    @Test(arguments: StreamContent.allCases)
    func reconnectingSubscribersGetEveryPacketExactlyOnceWhileActionsAreIngested(content: StreamContent)
        async throws
    {
        try await TestServer.start(configure: { $0.heartbeatInterval = 0.05 }) { server, client in
            let port = try #require(client.port)
            let actions = server.longMatch(rallies: 1960)
            #expect(actions.count >= 2000)
            let subscribers = (0..<20).map { index in
                Task {
                    var generator = SeededGenerator(seed: UInt64(index + 1))
                    var received: [Int] = []
                    var finished = false
                    while !finished {
                        let quota = Int.random(in: 1...300, using: &generator)
                        let transcript = try await StreamClient.run(
                            port: port,
                            path: server.streamPath(query: "startPosition=\(received.count)", content: content),
                            firstFrame: StreamClient.auth(server.consumer),
                            stop: { $0.packets.count >= quota })
                        received += transcript.seqNums
                        finished = transcript.packets.last?["finished"] == .bool(true)
                        if finished { #expect(transcript.closeCode == .normalClosure) }
                        try await Task.sleep(for: .milliseconds(Int.random(in: 0...30, using: &generator)))
                    }
                    return received
                }
            }
            var generator = SeededGenerator(seed: 99)
            var remaining = actions[...]
            while !remaining.isEmpty {
                let batch = remaining.prefix(Int.random(in: 1...25, using: &generator))
                remaining = remaining.dropFirst(batch.count)
                try await server.ingest(Array(batch), with: client)
            }
            #expect(try await server.store.lastSeqNum(fixtureId: server.fixture.id) == actions.count)
            let total = try await server.stored(content).count
            #expect(total > 2000 - (content == .actions ? 0 : 20), "the statistics: one per point, and the finish")
            for subscriber in subscribers {
                let received = try await subscriber.value
                #expect(received == Array(1...total), "every number exactly once, in order")
            }
        }
    }

    @Test(arguments: StreamContent.allCases)
    func stalledSubscriberIsClosedWith1013WhileAHealthyOneKeepsReceiving(content: StreamContent) async throws {
        // A loaded machine may take a while to drain the stalled socket: the close frame may wait for it.
        let configure: (inout ServerConfiguration) -> Void = {
            $0.subscriberQueue = 100
            $0.streamCloseWait = .seconds(60)
        }
        try await TestServer.start(configure: configure) { server, client in
            let port = try #require(client.port)
            try await server.ingest([server.action(2), server.action(4), server.action(6)], with: client)
            let topic = StreamTopic(fixtureId: server.fixture.id, content: content)
            // The actions so far (three) or the statistics so far (none); every rally below makes one of each.
            let skipped = content == .actions ? 3 : 0
            let bothSubscribed = Mutex(false)
            let stalled = StreamTranscript()
            let stalledTask = Task {
                try await StreamClient.run(
                    port: port, path: server.streamPath(query: "startPosition=\(skipped)", content: content),
                    firstFrame: StreamClient.auth(server.consumer), into: stalled,
                    hold: {
                        // Reads again as soon as the hub has dropped it.
                        while !bothSubscribed.withLock({ $0 })
                            || server.hub.subscriberCount(topic) > 1
                        {
                            try? await Task.sleep(for: .milliseconds(10))
                        }
                    })
            }
            let healthy = StreamTranscript()
            let healthyTask = Task {
                try await StreamClient.run(
                    port: port, path: server.streamPath(query: "startPosition=\(skipped)", content: content),
                    firstFrame: StreamClient.auth(server.consumer), into: healthy)
            }
            try await waitUntil { server.hub.subscriberCount(topic) == 2 }
            bothSubscribed.withLock { $0 = true }
            // Deuce rallies until the stalled client's socket and queue are full and the hub drops it.
            var sent = 0
            while server.hub.subscriberCount(topic) > 1 {
                try #require(sent < 20_000, "the stalled subscriber was never dropped")
                let rallies = (0..<20).map { server.action(1102, home: (sent + $0) % 2 == 0) }
                try await server.ingest(rallies, with: client)
                sent += rallies.count
            }
            _ = try await stalledTask.value
            #expect(stalled.closeCode == WebSocketErrorCode(codeNumber: 1013))
            // The healthy subscriber got everything so far and still receives.
            try await server.ingest([server.action(1102, home: true)], with: client)
            try await waitUntil { healthy.seqNums.last == skipped + sent + 1 }
            #expect(healthy.seqNums == Array((skipped + 1)...(skipped + sent + 1)))
            healthyTask.cancel()
        }
    }

    @Test(arguments: StreamContent.allCases)
    func mediaReceivesNothingBeforeTheDelayAndBettingAtOnce(content: StreamContent) async throws {
        // A 2 s delay: betting must be later than that on a loaded machine to look like media.
        try await TestServer.start(configure: { $0.mediaDelay = 2.0 }) { server, client in
            let port = try #require(client.port)
            let media = StreamTranscript()
            let betting = StreamTranscript()
            let tasks = [(media, true), (betting, false)].map { transcript, isMedia in
                Task {
                    try await StreamClient.run(
                        port: port, path: server.streamPath(media: isMedia, content: content),
                        firstFrame: StreamClient.auth(server.consumer), into: transcript,
                        stop: { $0.packets.count >= 2 })
                }
            }
            try await waitUntil { !media.controls.isEmpty && !betting.controls.isEmpty }
            let sent = ContinuousClock.now
            // Two actions, two points: two packets on either topic.
            try await server.ingest(
                [server.action(2), server.action(4), server.action(6)]
                    + (content == .actions ? [] : [server.action(1102, home: true), server.action(1102, home: false)]),
                with: client)
            try await waitUntil { betting.packets.count == 2 }
            let bettingArrival = try #require(betting.packetEntries.first).arrived
            try await waitUntil { media.packets.count == 2 }
            // Nothing before the delay: the server received the actions after `sent`, so no media packet may come
            // sooner than the delay after it. Betting at once: before media. (No wall-clock upper bound: a loaded
            // machine may make both late, never media early.)
            let firstMedia = try #require(media.packetEntries.first).arrived
            #expect(firstMedia - sent >= .milliseconds(1950), "held back about the media delay: \(firstMedia - sent)")
            #expect(bettingArrival < firstMedia)
            #expect(media.packets == betting.packets)
            for task in tasks { _ = try await task.value }
        }
    }

    // MARK: Replay

    @Test(arguments: StreamContent.allCases)
    func finishedFixtureReplaysFastFromStartPositionAndClosesWith1000(content: StreamContent) async throws {
        try await TestServer.start { server, client in
            try await server.ingest(server.wholeMatch(), with: client)
            let stored = try await server.stored(content)
            let transcript = try await StreamClient.run(
                port: try #require(client.port),
                path: server.streamPath(query: "startPosition=10&speed=fast", content: content),
                firstFrame: StreamClient.auth(server.consumer))
            #expect(transcript.seqNums == Array(11...stored.count))
            #expect(transcript.packets == Array(stored[10...]))
            #expect(transcript.closeCode == .normalClosure)
        }
    }

    @Test(arguments: StreamContent.allCases)
    func normalReplayKeepsTheGapsBetweenTimestamps(content: StreamContent) async throws {
        try await TestServer.start { server, client in
            // The whole match, its actions 60 ms apart: 1.8 s from the first to the last.
            let start = Timestamp(millisecondsSince1970: 1_747_729_800_000)
            let actions = server.wholeMatch()
            let timed = actions.enumerated().map { index, action -> JSONValue in
                guard case .object(var object) = action else { return action }
                object["timestamp"] = .string(
                    Timestamp(millisecondsSince1970: start.microseconds / 1000 + Int64(index) * 60).description)
                return .object(object)
            }
            try await server.ingest(timed, with: client)
            let port = try #require(client.port)
            // Measured from before the client connects, which is surely before the replay's schedule starts: a
            // client that a loaded machine makes read its first frames late cannot make a packet look early.
            let requested = ContinuousClock.now
            let stored = try await server.stored(content)
            // The place of each packet's action in the match, in 60 ms steps: a statistics packet has its action's.
            let places = try stored.map { packet in
                let number = try #require((packet["fixtureAction"] ?? packet)["fixtureSeqNum"]?.intValue)
                return number - 1
            }
            let normal = try await StreamClient.run(
                port: port, path: server.streamPath(content: content), firstFrame: StreamClient.auth(server.consumer))
            #expect(normal.seqNums == Array(1...stored.count))
            #expect(normal.closeCode == .normalClosure)
            let packets = normal.packetEntries
            // The schedule starts at the stream's first packet.
            let expected = Duration.milliseconds(60 * (places.last! - places.first!))
            let span = try #require(packets.last).arrived - requested
            // No earlier than the match's own gaps; the upper bound only catches a replay that hangs (a loaded machine
            // may be seconds late, never early).
            #expect(
                span >= expected - .milliseconds(30) && span < expected + .seconds(20),
                "\(expected), give or take: \(span)")
            // Each packet comes no earlier than its place in the match says.
            for (index, packet) in packets.enumerated() {
                let offset = packet.arrived - requested
                let place = 60 * (places[index] - places[0])
                #expect(offset >= .milliseconds(place - 40), "packet \(index + 1) after \(offset)")
            }
            let fastStart = ContinuousClock.now
            let fast = try await StreamClient.run(
                port: port, path: server.streamPath(query: "speed=fast", content: content),
                firstFrame: StreamClient.auth(server.consumer))
            #expect(fast.seqNums == Array(1...stored.count))
            // Waiting for the gaps would take `expected` more than the work itself, which the normal replay also did:
            // fast takes less than the normal replay without half its gaps, however loaded the machine.
            let fastSpan = ContinuousClock.now - fastStart
            #expect(fastSpan < span - expected / 2, "fast does not wait for the gaps: \(fastSpan) against \(span)")
        }
    }
}

/// Waits (polling) until `condition` holds, failing after `timeout`.
func waitUntil(
    timeout: Duration = .seconds(20), every interval: Duration = .milliseconds(5),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut() }
        try await Task.sleep(for: interval)
    }
}

struct WaitTimedOut: Error {}

/// A token revoked while its streams are open (issue 13): they are told, then closed with 1008.
@Suite struct RevokedTokenStreamTests {
    @Test func revokingATokenClosesItsOpenStreamsWithAnErrorAnd1008() async throws {
        try await TestServer.start(configure: { $0.revocationCheckInterval = .milliseconds(100) }) { server, client in
            let port = try #require(client.port)
            let issued = AccessControl.issue(
                name: "short-lived", role: .consumer, feeds: Set(Feed.allCases), sports: [.tableTennis], now: .now)
            try await server.store.insertToken(issued.record)
            let revoked = StreamTranscript()
            let kept = StreamTranscript()
            let streams = [(issued.token, revoked), (server.consumer, kept)].map { token, transcript in
                Task {
                    try await StreamClient.run(
                        port: port, path: server.streamPath(), firstFrame: StreamClient.auth(token), into: transcript)
                }
            }
            try await waitUntil { server.hub.subscriberCount(fixtureId: server.fixture.id) == 2 }
            #expect(try await server.store.revokeToken(name: "short-lived"))
            _ = try await streams[0].value
            #expect(revoked.controls.last?.control == "ERROR: The token of this stream was revoked.")
            #expect(revoked.closeCode == .policyViolation)
            // Another token's stream is not touched.
            try await server.ingest([server.action(2)], with: client)
            try await waitUntil { kept.seqNums == [1] }
            #expect(kept.closeCode == nil)
            streams[1].cancel()
        }
    }
}
