import MatchwireCore
import NIOCore
import Synchronization

/// What a hub has published for its subscribers on one event loop, and that loop's writing of it.
///
/// The loop writes in passes over its subscribers, a turn of ``deliveriesPerTurn`` subscribers at a time, and
/// between two turns it reads its sockets (``LoopTurns``, which also gives the loop's other backlogs their turns):
/// a publish to thousands of subscribers (tens of milliseconds of writes on one core) does not stop the loop from
/// reading the next ingest request, answering a REST request or accepting a connect until it is done. Each
/// subscriber is given, at its turn, every packet published so far that it lacks, in order, flushed once. So while
/// the loop keeps up, each packet is written as soon as the loop is free, on its own; when packets come faster
/// than the loop can write them (the loop behind its publisher), the packets that arrived meanwhile go to each
/// subscriber together: one system call for several frames rather than one per frame, which is what lets the loop
/// catch up instead of falling further behind. Nothing is held back to make a batch.
///
/// Order is the hub's: packets are appended under the hub's lock and a subscriber gets them in that order, from its
/// own next number on (``DirectDelivery``). A pass goes over the hub's subscribers on the loop as of the last
/// publish the loop had taken when the pass started: one handed over since skips what it sent itself, and one
/// taken off since was taken off because its stream ended, so that nothing more is written to it anyway. A packet
/// leaves the backlog at the end of the first pass that started with it there, which gave it to every subscriber;
/// packets that arrived during a pass (which its earlier turns did not give) make the backlog start another pass at
/// its next turn.
///
/// While a publish waits for the loop and while a pass runs, the backlog shares the hub's dictionary of the loop's
/// subscribers: the hub's first change of them after a publish (a hand-over, a stream leaving) copies it, at most
/// once per publish.
final class LoopBacklog: Sendable {
    /// Subscribers written per turn: about a millisecond of writes at the fan-out's ~10 us per delivery, so the loop
    /// reads its sockets at least that often while it writes a publish to thousands.
    static let deliveriesPerTurn = 128

    private let turns: LoopTurns
    private let metrics: StreamMetrics
    /// What publishes hand over, from any thread.
    private let inbox = Mutex(Inbox())
    /// The loop's own state: what it is writing, and where its pass is.
    private let writing: NIOLoopBoundBox<Writing>

    private struct Inbox {
        var packets: [StreamPacket.Framed] = []
        /// The loop's subscribers as of the last publish, until the loop takes them.
        var deliveries: [Int: DirectDelivery]?
        /// Whether the loop has a turn to come (scheduled or under way): a publish then leaves it to that turn.
        var busy = false
    }

    private struct Writing {
        /// Packets published that have not yet reached every subscriber, and how many subscribers each was
        /// written to so far (its metrics are taken when it leaves).
        var packets: [StreamPacket.Framed] = []
        var written: [Int] = []
        /// The subscribers of the latest publish taken, kept for the next pass only (held any longer, the hub's
        /// first change of its subscribers after each publish would copy them).
        var latest: [Int: DirectDelivery]?
        var pass: Pass?
    }

    /// One pass over the loop's subscribers.
    private struct Pass {
        let deliveries: [Int: DirectDelivery]
        var cursor: [Int: DirectDelivery].Index
        /// The packets at the start of the backlog when the pass started: it gives them to every subscriber.
        let covers: Int
    }

    init(turns: LoopTurns, metrics: StreamMetrics) {
        self.turns = turns
        self.metrics = metrics
        self.writing = .makeBoxSendingValue(Writing(), eventLoop: turns.eventLoop)
    }

    /// Adds packets, with their frames, for the loop's subscribers as of this publish. Called under the hub's lock.
    func append(_ packets: [StreamPacket.Framed], to deliveries: [Int: DirectDelivery]) {
        let wasIdle = inbox.withLock { inbox in
            inbox.packets += packets
            inbox.deliveries = deliveries
            defer { inbox.busy = true }
            return !inbox.busy
        }
        if wasIdle { turns.eventLoop.execute { self.turns.start(self) } }
    }

    /// On the loop, at its turn (``LoopTurns``): takes what was published since the last turn and writes to the next
    /// subscribers of the pass. True when it wants another turn; false when everything has reached every
    /// subscriber and nothing more was published, and it has gone idle (the next publish starts it again).
    func turn() -> Bool {
        let more = writing.withValue { writing in
            takeInbox(into: &writing)
            guard var pass = writing.pass ?? startPass(&writing) else { return false }
            var turned = 0
            while turned < Self.deliveriesPerTurn, pass.cursor != pass.deliveries.endIndex {
                pass.deliveries[pass.cursor].value.write(writing.packets, written: &writing.written)
                pass.deliveries.formIndex(after: &pass.cursor)
                turned += 1
            }
            guard pass.cursor == pass.deliveries.endIndex else {
                writing.pass = pass
                return true
            }
            writing.pass = nil
            finish(pass.covers, of: &writing)
            return !writing.packets.isEmpty
        }
        return more || !goIdle()
    }

    /// A new pass over the subscribers of the latest publish taken, covering every packet in the backlog; nil when
    /// there is nothing to write.
    private func startPass(_ writing: inout Writing) -> Pass? {
        guard let deliveries = writing.latest.take(), !writing.packets.isEmpty else { return nil }
        return Pass(deliveries: deliveries, cursor: deliveries.startIndex, covers: writing.packets.count)
    }

    private func takeInbox(into writing: inout Writing) {
        inbox.withLock { inbox in
            guard let deliveries = inbox.deliveries else { return }
            writing.packets += inbox.packets
            writing.written += repeatElement(0, count: inbox.packets.count)
            writing.latest = deliveries
            inbox.packets.removeAll(keepingCapacity: true)
            inbox.deliveries = nil
        }
    }

    /// Marks the loop idle unless a publish arrived since the turn took the inbox; true when it did go idle.
    private func goIdle() -> Bool {
        inbox.withLock { inbox in
            guard inbox.deliveries == nil else { return false }
            inbox.busy = false
            return true
        }
    }

    /// The first `count` packets have reached every subscriber: counts their frames, measures their lag (one
    /// observation per packet and loop, when its last subscriber here was written: the loop's worst; per subscriber
    /// it would take the histogram's lock thousands of times per packet for the same figure), and drops them.
    private func finish(_ count: Int, of writing: inout Writing) {
        let now = Timestamp.now
        for (framed, written) in zip(writing.packets.prefix(count), writing.written) where written > 0 {
            metrics.sent.data.increment(by: written)
            metrics.delivered(receivedAt: framed.packet.receivedAt, now: now, feed: .betting)
        }
        writing.packets.removeFirst(count)
        writing.written.removeFirst(count)
    }
}
