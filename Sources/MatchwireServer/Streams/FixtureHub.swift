import CoreMetrics
import NIOCore
import Synchronization

/// The subscribers of one fixture.
///
/// A subscriber starts on its stream's queue: the stream sends its backlog, then what the queue holds. Once it
/// has sent everything the hub has published, a betting stream hands its live delivery over (`handOver`): from
/// then on ``publish(_:)`` has the frames written onto the subscriber's connection, on the connection's event
/// loop, rather than waking a task per subscriber. Those subscribers are kept grouped by event loop, so that
/// publishing takes each group as it is, and each loop has a ``LoopBacklog`` of what it has yet to write (written in
/// turns; packets that pile up while it writes go out together).
///
/// The hub remembers the last number it published. That is what makes the hand-over exact: a stream is handed
/// over only when the next number it would send is the next one the hub will publish, so the hub's writes
/// continue the stream's without a gap or a repeat, whatever the stream's reads of the store saw.
final class FixtureHub: Sendable {
    struct Subscriber: Sendable {
        let packets: AsyncStream<StreamPacket>.Continuation
        let ending: StreamEnding
        let capacity: Int
        /// Packets put on the queue so far.
        var queued = 0
    }

    /// What ``handOver(_:consumed:next:channel:)`` did.
    enum HandOver: Equatable, Sendable {
        /// The hub writes the stream's live packets from now on.
        case handedOver
        /// More packets are queued for the stream: it sends them first.
        case moreQueued
        /// The hub published packets up to this number before the stream subscribed, and the stream has not sent
        /// them (its read of the store ended before them): it sends them from the store first.
        case behind(publishedThrough: Int)
        /// Nothing was published here yet, so the hub does not know where its sequence starts (another node may
        /// be ahead), and the stream has sent packets from the store: it publishes the last one it sent, which
        /// starts the hub's sequence there (as ``StoreCatchUp`` does), and tries again.
        case unknownStart
    }

    private struct State {
        /// The subscribers whose streams send from their queue.
        var queued: [Int: Subscriber] = [:]
        /// The subscribers the hub writes to, by event loop.
        var direct: [ObjectIdentifier: LoopGroup] = [:]
        /// The event loop of each subscriber in `direct`.
        var loops: [Int: ObjectIdentifier] = [:]
        /// The number of the last packet published; nil before the first.
        var publishedThrough: Int?

        var count: Int { queued.count + loops.count }

        /// Takes a subscriber off the hub, whichever way it is delivered to; true if it was there.
        mutating func remove(_ id: Int) -> Bool {
            if let subscriber = queued.removeValue(forKey: id) {
                subscriber.packets.finish()
                return true
            }
            guard let loop = loops.removeValue(forKey: id) else { return false }
            direct[loop]?.deliveries[id] = nil
            // A backlog dropped here still writes what it holds, to its own subscribers: a later backlog of the same
            // loop (after a new hand-over) has none of them, so the order between the two does not matter.
            if direct[loop]?.deliveries.isEmpty == true { direct[loop] = nil }
            return true
        }
    }

    /// The subscribers of one event loop that the hub writes to, and what that loop has yet to write.
    private struct LoopGroup {
        var deliveries: [Int: DirectDelivery] = [:]
        let backlog: LoopBacklog
    }

    private let state = Mutex(State())
    private let metrics: StreamMetrics
    private let turns: LoopTurns.Registry

    /// `turns`: the event loops' turns, shared by every hub of the server (``StreamHub``); no default, since a hub
    /// with turns of its own would not take turns with the others on the same loop.
    init(metrics: StreamMetrics = StreamMetrics(factory: NOOPMetricsHandler.instance), turns: LoopTurns.Registry) {
        self.metrics = metrics
        self.turns = turns
    }

    var count: Int { state.withLock { $0.count } }

    /// Adds a subscriber; returns the number of the last packet published so far (nil: none). Every later packet
    /// is put on the subscriber's queue; the ones up to that number were stored before they were published, so
    /// the stream finds them in the store.
    func add(_ id: Int, _ subscriber: Subscriber) -> Int? {
        state.withLock { state in
            state.queued[id] = subscriber
            return state.publishedThrough
        }
    }

    /// Removes a subscriber; true when none is left.
    func remove(_ id: Int) -> Bool {
        state.withLock { state in
            _ = state.remove(id)
            return state.count == 0
        }
    }

    /// Ends a subscriber from outside its stream: the stream is told why, then its queue ends.
    func drop(_ id: Int, because reason: StreamEnd, ending: StreamEnding) {
        ending.end(reason)
        _ = state.withLock { $0.remove(id) }
    }

    /// Lets the hub write the subscriber's live packets from now on, when the stream has taken all `consumed`
    /// packets queued for it so far and `next`, the number of the next packet it has not sent, is the next one
    /// the hub will publish. Otherwise nothing changes and the answer says what the stream must send first.
    func handOver(_ id: Int, consumed: Int, next: Int, channel: any Channel) -> HandOver {
        state.withLock { state in
            guard let subscriber = state.queued[id], subscriber.queued == consumed else { return .moreQueued }
            let published: Int
            if let known = state.publishedThrough {
                published = known
            } else if next == 1 {
                // Nothing published here, and the stream found nothing stored: the sequence starts at 1 whatever
                // other nodes stored meanwhile (no packet is numbered 0, so none can be left out by this), and a
                // later publish that starts after a gap is refused and read from the store (``StoreCatchUp``).
                // Without this a stream that subscribes before a topic's first packet (a statistics stream before
                // the first point, say) could be handed over only in a pause of the ingest.
                state.publishedThrough = 0
                published = 0
            } else {
                return .unknownStart
            }
            if next <= published { return .behind(publishedThrough: published) }
            state.queued[id] = nil
            subscriber.packets.finish()
            let ending = subscriber.ending
            let delivery = DirectDelivery(
                channel: channel, next: next, capacity: subscriber.capacity, ending: ending,
                end: { [weak self] reason in self?.drop(id, because: reason, ending: ending) })
            let loop = ObjectIdentifier(channel.eventLoop)
            state.direct[
                loop, default: LoopGroup(backlog: LoopBacklog(turns: turns.of(channel.eventLoop), metrics: metrics))
            ]
            .deliveries[id] = delivery
            state.loops[id] = loop
            return .handedOver
        }
    }

    /// The number of the last packet published; nil before the first.
    var publishedThrough: Int? { state.withLock { $0.publishedThrough } }

    /// Publishes what continues the hub's sequence: the same packets to every subscriber, in order. Packets at or
    /// below the last number published are left out (another path published them: the local writer and the
    /// cross-node reader both publish). Returns false, publishing nothing, when the packets start after a gap and
    /// the hub has subscribers: the caller reads the missing ones from the store (``StoreCatchUp``). A hub with
    /// no subscribers takes the jump, since a new subscriber reads what came before from the store.
    ///
    /// A subscriber whose queue is full is dropped and told it is too slow. The direct writes are appended to the
    /// event loops' backlogs under the hub's lock, so that two publishes from two paths reach every connection in
    /// order.
    func publish(_ packets: [StreamPacket]) -> Bool {
        let (continues, overflowed) = state.withLock { state -> (Bool, [(Int, StreamEnding)]) in
            var fresh = packets[...]
            if let published = state.publishedThrough {
                fresh = fresh.drop { $0.seqNum <= published }
                if let first = fresh.first, first.seqNum != published + 1, state.count > 0 { return (false, []) }
            }
            guard let last = fresh.last else { return (true, []) }
            // Every path publishes a run of stored packets (the writer's append, a read of the store), which the
            // backlogs' writes rely on (``DirectDelivery`` finds a subscriber's next packet by subtraction).
            assert(zip(fresh, fresh.dropFirst()).allSatisfy { $1.seqNum == $0.seqNum + 1 }, "numbered one by one")
            state.publishedThrough = last.seqNum
            let packets = Array(fresh)
            var overflowed: [(Int, StreamEnding)] = []
            for (id, subscriber) in state.queued {
                var queued = subscriber.queued
                for packet in packets {
                    if case .dropped = subscriber.packets.yield(packet) {
                        overflowed.append((id, subscriber.ending))
                        break
                    }
                    queued += 1
                }
                state.queued[id]?.queued = queued
            }
            if !state.direct.isEmpty {
                let framed = packets.map(\.framed)
                for group in state.direct.values { group.backlog.append(framed, to: group.deliveries) }
            }
            return (true, overflowed)
        }
        for (id, ending) in overflowed { drop(id, because: .tooSlow, ending: ending) }
        return continues
    }
}
