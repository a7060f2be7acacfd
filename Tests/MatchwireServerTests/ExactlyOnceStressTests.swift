import Foundation
import MatchwireCore
import MatchwireServer
import NIOWebSocket
import Synchronization
import Testing

/// The exactly-once promise of the streams under stress (issue 13): one fixture ingested as fast as one client
/// can post, while many subscribers drop their connection at random moments and resume with `startPosition`.
///
/// Seeded and bounded: the ingest stops after `ingestFor` or when the match's actions run out; every subscriber
/// then catches up to the last stored number. On the code before the fix (a store read that did not yet see a
/// commit, on a reader connection shared by overlapping statements) subscribers skipped the packets of one
/// ingest request, or were closed with 1011.
@Suite struct ExactlyOnceStressTests {
    static let subscribers = 50
    static let rereaders = 12
    static let ingestFor = Duration.seconds(12)
    /// Ingested past `ingestFor` until this many actions are stored, within `ingestAtMostFor`.
    static let minimumActions = 300
    static let ingestAtMostFor = Duration.seconds(90)
    /// At most this many actions are ingested: enough to stress the seam, few enough for 50 debug-built
    /// subscribers on 2 cores to catch up with.
    static let maximumActions = 2_000

    @Test func subscribersReconnectingAtRandomGetEveryNumberExactlyOnceAndNo1011() async throws {
        try await TestServer.start(configure: { $0.heartbeatInterval = 0.05 }) { server, client in
            let port = try #require(client.port)
            let ingestDone = IngestTotal()
            let subscribers = (0..<Self.subscribers).map { index in
                Task {
                    try await Self.subscriber(
                        seed: UInt64(1000 + index), port: port, path: server.streamPath(), token: server.consumer,
                        until: { ingestDone.value })
                }
            }
            // Clients that replay the match from the start, again and again: long backlog reads beside the short
            // ones of the resuming subscribers, as integrators who reload everything do.
            let rereaders = (0..<Self.rereaders).map { index in
                Task {
                    try await Self.rereader(
                        seed: UInt64(2000 + index), port: port, path: server.streamPath(), token: server.consumer,
                        until: { ingestDone.value != nil })
                }
            }
            // One scout, unthrottled: arrays of 1-10 actions, one after the other, through the server's writers (an
            // HTTP client on this machine would be slower than the streams it should outpace).
            var generator = SeededGenerator(seed: 7)
            var remaining = server.longMatch(rallies: Self.maximumActions)[...]
            // For `ingestFor`, and on a loaded machine longer, until enough packets are stored to mean something
            // (but never past `ingestAtMostFor`).
            let started = ContinuousClock.now
            var sent = 0
            while remaining.count > 20, ContinuousClock.now < started + Self.ingestAtMostFor,
                ContinuousClock.now < started + Self.ingestFor || sent < Self.minimumActions
            {
                let batch = remaining.prefix(Int.random(in: 1...10, using: &generator))
                remaining = remaining.dropFirst(batch.count)
                sent += batch.count
                try await server.writers.ingest(
                    ActionSubmission.batch(from: .array(Array(batch))), fixtureId: server.fixture.id,
                    receivedAt: .now)
            }
            let total = try await server.store.lastSeqNum(fixtureId: server.fixture.id)
            ingestDone.value = total
            #expect(total > 100, "enough packets to stress the streams")
            print("stress: \(total) packets stored in \(ContinuousClock.now - started)")
            for rereader in rereaders {
                let faults = try await rereader.value
                #expect(faults.isEmpty, "\(faults.prefix(5))")
            }
            var connections = 0
            for subscriber in subscribers {
                let result = try await subscriber.value
                #expect(result.unexpectedCloses.isEmpty, "closed by the server with \(result.unexpectedCloses)")
                #expect(result.faults.isEmpty, "\(result.faults.prefix(5))")
                #expect(result.received == Array(1...total), "every fixtureSeqNum exactly once, in order")
                connections += result.connections
            }
            print("stress: \(Self.subscribers) subscribers resumed \(connections) times")
        }
    }

    /// Connects from the start for a random 50-500 ms at a time until `done`; returns the faults seen (a number
    /// out of order, a close code other than 1000).
    static func rereader(
        seed: UInt64, port: Int, path: String, token: String, until done: @escaping @Sendable () -> Bool
    ) async throws -> [String] {
        var generator = SeededGenerator(seed: seed)
        var faults: [String] = []
        while !done(), faults.isEmpty {
            let holdFor = Duration.milliseconds(Int.random(in: 50...500, using: &generator))
            let transcript = StreamTranscript()
            let connected = ContinuousClock.now
            try await StreamClient.run(
                port: port, path: path, firstFrame: StreamClient.auth(token), into: transcript,
                stop: { _ in ContinuousClock.now - connected >= holdFor })
            let numbers = transcript.seqNums
            if numbers.enumerated().contains(where: { $0.offset + 1 != $0.element }) {
                faults.append("a replay from the start got \(numbers.prefix(3))...: not 1, 2, 3, ...")
            }
            if let code = transcript.closeCode, code != .normalClosure {
                faults.append("a replay from the start was closed with \(UInt16(webSocketErrorCode: code))")
            }
        }
        return faults
    }

    struct SubscriberResult: Sendable {
        var received: [Int] = []
        var faults: [String] = []
        var unexpectedCloses: [UInt16] = []
        var connections = 0
    }

    /// Connects again and again, each time for a random 50-500 ms, resuming after the last number received, until
    /// the ingest is over and it has every number up to the last one stored.
    static func subscriber(
        seed: UInt64, port: Int, path: String, token: String, until done: @escaping @Sendable () -> Int?
    ) async throws -> SubscriberResult {
        var generator = SeededGenerator(seed: seed)
        var result = SubscriberResult()
        let started = ContinuousClock.now
        var previous = "none"
        while true {
            let last = result.received.last ?? 0
            if let total = done(), last >= total { return result }
            guard ContinuousClock.now - started < .seconds(120) else {
                result.faults.append("did not catch up within 120 s (last \(last)); its last connection: \(previous)")
                return result
            }
            let holdFor = Duration.milliseconds(Int.random(in: 50...500, using: &generator))
            let transcript = StreamTranscript()
            let connected = ContinuousClock.now
            // Once the ingest is over, the last connection stays until it has every number.
            let total = done()
            try await StreamClient.run(
                port: port, path: path + "?startPosition=\(last)", firstFrame: StreamClient.auth(token),
                into: transcript,
                stop: { transcript in
                    if let total {
                        return (transcript.lastSeqNum ?? last) >= total || ContinuousClock.now - started > .seconds(120)
                    }
                    return ContinuousClock.now - connected >= holdFor
                })
            result.connections += 1
            let numbers = transcript.seqNums
            previous =
                "\(numbers.count) packets, \(transcript.controls.map(\.control).suffix(2)), close "
                + "\(transcript.closeCode.map { String(UInt16(webSocketErrorCode: $0)) } ?? "none")"
            for (expected, got) in zip((last + 1)..., numbers) where expected != got {
                result.faults.append("connection \(result.connections) from \(last): expected \(expected), got \(got)")
                break
            }
            result.received += numbers
            if let code = transcript.closeCode, code != .normalClosure {
                result.unexpectedCloses.append(UInt16(webSocketErrorCode: code))
            }
            if !result.faults.isEmpty { return result }
        }
    }
}

/// The last number stored once the ingest is over; nil while it goes on.
final class IngestTotal: Sendable {
    private let total = Mutex<Int?>(nil)
    var value: Int? {
        get { total.withLock { $0 } }
        set { total.withLock { $0 = newValue } }
    }
}
