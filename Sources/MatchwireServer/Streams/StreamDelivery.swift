import Foundation
import Logging
import MatchwireCore
import MatchwireStore
import NIOCore

/// The packets of one stream, from `startPosition` on, once the client is authenticated: handed to the hub at once
/// when the client is current on a live fixture (``subscribe()``), or a task that reads the store first. The
/// same for both topics (``StreamTopic``): an action stream sends action packets by `fixtureSeqNum`, a statistics
/// stream statistics packets by their own `seqNum`.
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
    /// When the stream subscribed: packets received since are live.
    let subscribedAt = Timestamp.now

    /// Stored packets read at once for a backlog or a replay.
    static let backlogBatch = 500

    /// The stored packets after `startPosition`, then the live ones, each exactly once in order of their numbers,
    /// for a stream subscribed by ``subscribe()``. Returns how the stream ends, or nil once the hub has taken its
    /// live packets over.
    ///
    /// The stream subscribes before it reads the store, so a packet stored meanwhile is both in the store and on
    /// the queue: packets already sent are skipped by number. Every packet the hub published before the
    /// subscription is in the store, and the stream sends it from there; a packet on the queue that is ahead of
    /// the stream has the ones before it filled in from the store. A fixture that is not live when the stream
    /// starts is replayed at the requested speed.
    func run(_ subscription: Subscription) async -> StreamEnd? {
        var position = Position(next: request.startPosition + 1)
        do {
            // The fixture as the check before the upgrade read it, a moment ago: its status then decides between
            // following and replaying. A fixture that finished in between is followed: the same packets, unpaced.
            let fixture = request.fixture
            if request.content == .statistics {
                // A fixture stored before statistics were kept gets them now, as its first REST read would.
                try await store.backfillStatistics(of: fixture)
            }
            var pace = ReplayPace(enabled: !fixture.isLive && request.speed == .normal)
            // Followed live on a node that alone writes the store, a topic whose hub has published is read from
            // the store only up to the hub's number: every later packet comes on the queue, so a client that is
            // already current costs no read at all. A replay, a topic with nothing published here since the
            // start, or any topic when several nodes share the store, is read to its last stored packet.
            let published = subscription.publishedThrough
            let readThrough = fixture.isLive && hubKnowsTheLastPacket ? published : nil
            if let end = try await sendStored(from: &position, through: readThrough, pace: &pace) {
                return end
            }
            var unpaced = ReplayPace(enabled: false)
            if let published, let end = try await sendStored(from: &position, through: published, pace: &unpaced) {
                return end
            }
            var consumed = 0
            var queue = subscription.packets.makeAsyncIterator()
            while true {
                switch try await handOver(consumed: consumed, position: &position) {
                case .handedOver: return nil
                case .ended(let end): return end
                case .readQueue: break
                }
                // Nil: the hub ended the queue (it found it full) and said why, or the stream was cancelled.
                guard let packet = await queue.next() else { return stream.ending.reason ?? .tooSlow }
                consumed += 1
                if packet.seqNum >= position.next {
                    if let end = try await sendStored(from: &position, through: packet.seqNum - 1, pace: &unpaced) {
                        return end
                    }
                    if let end = try await send(packet) { return end }
                    position.sent(packet)
                }
            }
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

    /// Subscribes the stream to its topic. Returns the subscription for ``run(_:)``, or nil when the hub took the
    /// stream's live packets over at once: a betting stream on a live fixture whose topic's hub has published,
    /// and whose client already has every packet up to the hub's number, has nothing to read from the store (the
    /// usual connect of a fan-out), so it is handed over here, on the caller's thread, without a task. Only on a
    /// node that alone writes the store (``hubKnowsTheLastPacket``).
    func subscribe() -> Subscription? {
        let subscription = hub.subscribe(stream, topic: request.topic, capacity: configuration.subscriberQueue)
        guard request.feed == .betting, request.fixture.isLive, hubKnowsTheLastPacket,
            let published = subscription.publishedThrough, request.startPosition >= published
        else { return subscription }
        switch hub.handOver(
            stream, topic: request.topic, consumed: 0, next: request.startPosition + 1, channel: output.channel)
        {
        case .handedOver: return nil
        case .moreQueued, .behind, .unknownStart: return subscription
        }
    }

    /// Whether the hub's number is the last packet stored, once it has published: true when this node alone
    /// writes the store (every packet stored is published here as it commits). With several nodes a topic that
    /// has no subscribers here is not read from the store (``CrossNodeDelivery``), so its hub's number may lag
    /// what other nodes stored meanwhile, by however long the topic had nobody here: a stream must not take it
    /// for the end.
    private var hubKnowsTheLastPacket: Bool { store.appendNotifications == nil }

    private enum AfterHandOver {
        case handedOver
        case readQueue
        case ended(StreamEnd)
    }

    /// Where a stream is: the number of the next packet it has not sent, and the last packet it sent.
    struct Position {
        var next: Int
        var last: StreamPacket?

        mutating func sent(_ packet: StreamPacket) {
            next = packet.seqNum + 1
            last = packet
        }
    }

    /// Hands live delivery over to the hub once the stream has sent everything queued and published so far (a
    /// betting stream only: the media feed holds each packet back for the delay). Published packets the stream
    /// has not sent are sent from the store first.
    private func handOver(consumed: Int, position: inout Position) async throws -> AfterHandOver {
        guard request.feed == .betting else { return .readQueue }
        while true {
            switch hub.handOver(
                stream, topic: request.topic, consumed: consumed, next: position.next, channel: output.channel)
            {
            case .handedOver: return .handedOver
            case .moreQueued: return .readQueue
            case .unknownStart:
                // The last packet sent starts the hub's sequence: it comes back on this stream's queue too (and is
                // skipped there), after which the queue is drained again and the hand-over can be made. A stream
                // that has sent nothing (it started past the last packet stored) waits for the first one.
                if let last = position.last { hub.publish([last], topic: request.topic) }
                return .readQueue
            case .behind(let published):
                var unpaced = ReplayPace(enabled: false)
                if let end = try await sendStored(from: &position, through: published, pace: &unpaced) {
                    return .ended(end)
                }
            }
        }
    }

    /// Sends the stored packets from `next` on, in batches, through `last` or, when `last` is nil, to the last one
    /// stored, and moves `next` past each one sent. Returns how the stream ends when one was the last packet.
    ///
    /// Packets up to `last` were published, so committed: a read that does not return them is a store fault. It
    /// is read again a few times (`missingPacketRetries`) before the stream ends with 1011, rather than skipping
    /// a number.
    private func sendStored(
        from position: inout Position, through last: Int?, pace: inout ReplayPace
    ) async throws -> StreamEnd? {
        var retries = 0
        while last.map({ position.next <= $0 }) ?? true {
            let next = position.next
            let count = min(Self.backlogBatch, last.map { $0 - next + 1 } ?? Self.backlogBatch)
            let batch = try await store.streamPackets(request.topic, after: next - 1, limit: count)
            if batch.isEmpty {
                guard let last else { return nil }
                guard retries < Self.missingPacketRetries.count else { throw MissingPackets(from: next, through: last) }
                try await Task.sleep(for: Self.missingPacketRetries[retries])
                retries += 1
                continue
            }
            for packet in batch {
                guard packet.seqNum == position.next else {
                    throw MissingPackets(from: position.next, through: packet.seqNum - 1)
                }
                try await pace.wait(for: packet)
                if let end = try await send(packet) { return end }
                position.sent(packet)
            }
        }
        return nil
    }

    /// The waits before reading again packets that were published but not returned by the store.
    static let missingPacketRetries: [Duration] = [
        .milliseconds(5), .milliseconds(20), .milliseconds(100), .seconds(1),
    ]

    /// Published packets the store did not return.
    struct MissingPackets: Error, CustomStringConvertible {
        let from: Int
        let through: Int
        var description: String { "packets \(from) to \(through) were published but the store did not return them" }
    }

    /// Sends one packet, after the media delay on the media feed. Returns how the stream ends when this was the
    /// fixture's last packet. A live packet (received by the server after the stream subscribed, whether it
    /// comes from the queue or the store) has its delivery lag measured; a backlog's or a replay's has none.
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
        let metrics = hub.metrics.streams
        metrics.sent.data.increment()
        if packet.receivedAt >= subscribedAt {
            metrics.delivered(
                receivedAt: packet.receivedAt, now: .now, feed: request.feed,
                delay: request.feed == .media ? configuration.mediaDelay : 0)
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
        let timestamp = try packet.actionTimestamp()
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
