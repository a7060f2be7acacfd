import Foundation
import Logging
import MatchwireCore
import MatchwireStore
import NIOCore

/// The packets of one stream, from `startPosition` on: a task started once the client is authenticated.
///
/// It sends the stored backlog, then what the fixture's hub queued meanwhile; once a betting stream has caught up
/// it hands its live packets to the hub, which writes them onto the connection itself, and the task ends. A media
/// stream (each packet held back for the delay) keeps its task to the end.
struct StreamDelivery: Sendable {
    let request: StreamRequest
    let configuration: ServerConfiguration
    let store: any EventStore
    let hub: StreamHub
    let stream: OpenStream
    let output: StreamOutput
    let logger: Logger

    /// Stored packets read at once for a backlog or a replay.
    static let backlogBatch = 500

    /// The stored packets after `startPosition`, then the live ones, each exactly once in `fixtureSeqNum` order.
    /// Returns how the stream ends, or nil once the hub has taken its live packets over.
    ///
    /// The stream subscribes before it reads the store, so a packet stored meanwhile is both in the store and on
    /// the queue: packets already sent are skipped by number, and a gap (never expected) is filled from the
    /// store. A fixture that is not live when the stream starts is replayed at the requested speed.
    func run() async -> StreamEnd? {
        let live = hub.subscribe(stream, fixtureId: request.fixtureId, capacity: configuration.subscriberQueue)
        var next = request.startPosition + 1
        do {
            // Read again now that the queue is registered (the check before the upgrade read it too): the status
            // at this moment decides between following and replaying.
            guard let fixture = try await store.fixture(id: request.fixtureId) else { return .serverError }
            var pace = ReplayPace(enabled: !fixture.isLive && request.speed == .normal)
            if let end = try await sendStored(from: &next, before: nil, pace: &pace) { return end }
            var unpaced = ReplayPace(enabled: false)
            var consumed = 0
            if handOver(consumed: consumed, next: next) { return nil }
            for await packet in live {
                consumed += 1
                if packet.seqNum >= next {
                    if let end = try await sendStored(from: &next, before: packet.seqNum, pace: &unpaced) {
                        return end
                    }
                    if let end = try await send(packet) { return end }
                    next = packet.seqNum + 1
                }
                if handOver(consumed: consumed, next: next) { return nil }
            }
            // The hub ended the queue (it found it full) and said why, or the stream was cancelled.
            return stream.ending.reason ?? .tooSlow
        } catch is CancellationError {
            return .clientClosed
        } catch let error as ConnectionGone {
            logger.debug("stream write failed: \(error.underlying)")
            return .clientClosed
        } catch {
            logger.error("stream of \(request.fixtureId.wire) failed: \(error)")
            return .serverError
        }
    }

    /// Hands live delivery over to the hub once the stream has sent everything queued so far (a betting stream
    /// only: the media feed holds each packet back for the delay).
    private func handOver(consumed: Int, next: Int) -> Bool {
        request.feed == .betting
            && hub.handOver(
                stream, fixtureId: request.fixtureId, consumed: consumed, next: next, channel: output.channel)
    }

    /// Sends the stored packets from `next` on, in batches, up to (not including) `limit` or to the last one
    /// stored, and moves `next` past each one sent. Returns how the stream ends when one was the last packet.
    private func sendStored(
        from next: inout Int, before limit: Int?, pace: inout ReplayPace
    ) async throws -> StreamEnd? {
        while limit.map({ next < $0 }) ?? true {
            let count = min(Self.backlogBatch, limit.map { $0 - next } ?? Self.backlogBatch)
            let batch = try await store.packets(fixtureId: request.fixtureId, after: next - 1, limit: count)
            if batch.isEmpty { return nil }
            for stored in batch {
                let packet = try StreamPacket(stored: stored)
                try await pace.wait(for: packet)
                if let end = try await send(packet) { return end }
                next = packet.seqNum + 1
            }
        }
        return nil
    }

    /// Sends one packet, after the media delay on the media feed. Returns how the stream ends when this was the
    /// fixture's last packet.
    private func send(_ packet: StreamPacket) async throws -> StreamEnd? {
        if request.feed == .media {
            let due = packet.receivedAt.microseconds + Int64(configuration.mediaDelay * 1_000_000)
            let wait = due - Timestamp.now.microseconds
            if wait > 0 { try await Task.sleep(for: .microseconds(wait)) }
        }
        do {
            try await output.write(packet.bytes)
        } catch {
            throw ConnectionGone(underlying: error)
        }
        return packet.finished ? .finished : nil
    }

    private struct ConnectionGone: Error {
        let underlying: any Error
    }
}

/// The gaps of a normal-speed replay: each packet is sent as long after the first one as the scout's timestamps
/// say. The schedule is kept from the first packet, so delays do not add up over a long match.
struct ReplayPace {
    let enabled: Bool
    private var origin: (instant: ContinuousClock.Instant, timestamp: Timestamp)?

    init(enabled: Bool) {
        self.enabled = enabled
    }

    mutating func wait(for packet: StreamPacket) async throws {
        guard enabled else { return }
        let timestamp = try packet.timestamp()
        guard let origin else {
            origin = (.now, timestamp)
            return
        }
        let offset = max(0, timestamp.microseconds - origin.timestamp.microseconds)
        try await Task.sleep(until: origin.instant + .microseconds(offset), clock: .continuous)
    }
}

extension Fixture {
    /// Live or scheduled: a stream follows it as it is played. Anything else (finished, completed, abandoned,
    /// cancelled) is replayed.
    var isLive: Bool {
        !finished && [.scheduled, .live, .postponed, .suspended, .unverified].contains(status)
    }
}

extension Double {
    /// Seconds without a needless `.0`: `10` rather than `10.0`.
    var secondsText: String {
        self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
