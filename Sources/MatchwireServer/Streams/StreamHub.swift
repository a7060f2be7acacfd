import Foundation
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import Synchronization

/// Every open stream and, per fixture, the subscribers waiting for live packets.
///
/// The fixture writer hands each stored packet to ``publish(_:fixtureId:)``, which puts the same bytes on every
/// subscriber's bounded queue and returns at once: ingest never waits for a subscriber. A subscriber whose queue
/// is full is taken off the hub and told to close with 1013; the others are not slowed.
///
/// It is also the service that closes every stream with 1001 when the server shuts down, before the HTTP
/// server stops, so that clients can resume elsewhere with `startPosition`.
public final class StreamHub: Service, Sendable {
    /// How long shutdown waits for the streams to finish their closing handshakes.
    static let shutdownWait = Duration.seconds(5)

    private struct State {
        var fixtures: [UUID: FixtureHub] = [:]
        var streams: [Int: StreamEnding] = [:]
        var nextStreamId = 0
        var shuttingDown = false
    }

    private let state = Mutex(State())
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    // MARK: Publishing

    /// Hands stored packets, in `fixtureSeqNum` order, to the fixture's subscribers.
    func publish(_ packets: [StreamPacket], fixtureId: UUID) {
        guard !packets.isEmpty, let hub = state.withLock({ $0.fixtures[fixtureId] }) else { return }
        hub.publish(packets)
    }

    // MARK: Streams

    /// Registers a new stream; `onEnd` is called once, with the first reason anything gives for ending it (see
    /// ``StreamEnding``). Nil while the server is shutting down: the stream is closed with 1001 at once.
    func open(onEnd: @escaping @Sendable (StreamEnd) -> Void) -> OpenStream? {
        let ending = StreamEnding(onEnd)
        let id: Int? = state.withLock { state in
            guard !state.shuttingDown else { return nil }
            state.nextStreamId += 1
            state.streams[state.nextStreamId] = ending
            return state.nextStreamId
        }
        return id.map { OpenStream(id: $0, ending: ending) }
    }

    /// Removes a stream that has ended, and its subscription if it has one.
    func close(_ stream: OpenStream, fixtureId: UUID) {
        state.withLock { state in
            state.streams[stream.id] = nil
            if let hub = state.fixtures[fixtureId], hub.remove(stream.id) { state.fixtures[fixtureId] = nil }
        }
    }

    /// Subscribes a stream to the live packets of a fixture, with a queue of `capacity` packets. Called before the
    /// backlog is read, so that no packet stored meanwhile can be missed.
    func subscribe(_ stream: OpenStream, fixtureId: UUID, capacity: Int) -> AsyncStream<StreamPacket> {
        let (packets, continuation) = AsyncStream.makeStream(
            of: StreamPacket.self, bufferingPolicy: .bufferingOldest(capacity))
        state.withLock { state in
            let hub = state.fixtures[fixtureId] ?? FixtureHub()
            hub.add(stream.id, FixtureHub.Subscriber(packets: continuation, ending: stream.ending, capacity: capacity))
            state.fixtures[fixtureId] = hub
        }
        return packets
    }

    /// Lets the hub write a subscriber's live packets onto its connection from now on; see
    /// ``FixtureHub/handOver(_:consumed:next:channel:)``.
    func handOver(_ stream: OpenStream, fixtureId: UUID, consumed: Int, next: Int, channel: any Channel) -> Bool {
        state.withLock { $0.fixtures[fixtureId] }?.handOver(stream.id, consumed: consumed, next: next, channel: channel)
            ?? false
    }

    /// The streams subscribed to a fixture's live packets: for tests and operators.
    public func subscriberCount(fixtureId: UUID) -> Int {
        state.withLock { $0.fixtures[fixtureId] }?.count ?? 0
    }

    // MARK: Shutdown

    public func run() async throws {
        try? await gracefulShutdown()
        let streams = state.withLock { state in
            state.shuttingDown = true
            return Array(state.streams.values)
        }
        logger.info("closing \(streams.count) streams")
        for stream in streams { stream.end(.goingAway) }
        let deadline = ContinuousClock.now + Self.shutdownWait
        while state.withLock({ !$0.streams.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A registered stream: its id and its ending.
struct OpenStream: Sendable {
    let id: Int
    let ending: StreamEnding
}

/// How a stream is ended, by whatever ends it first: the client, its delivery, the hub (a full queue), shutdown.
/// The first reason wins and is kept; only it is passed on, once, to the stream's connection.
final class StreamEnding: Sendable {
    private let first = Mutex<StreamEnd?>(nil)
    private let onEnd: @Sendable (StreamEnd) -> Void

    init(_ onEnd: @escaping @Sendable (StreamEnd) -> Void) {
        self.onEnd = onEnd
    }

    func end(_ reason: StreamEnd) {
        let isFirst = first.withLock { first in
            guard first == nil else { return false }
            first = reason
            return true
        }
        if isFirst { onEnd(reason) }
    }

    /// The reason the stream was ended with, if it was.
    var reason: StreamEnd? { first.withLock { $0 } }
}

/// The subscribers of one fixture.
///
/// A subscriber starts on its stream's queue: the stream sends its backlog, then what the queue holds. Once it
/// has taken everything queued, a betting stream hands its live delivery over (`handOver`): from then on
/// ``publish(_:)`` writes the frames onto the subscriber's connection itself, on the connection's event loop,
/// one hop per event loop for all its subscribers, rather than waking a task per subscriber. Those subscribers
/// are kept grouped by event loop, so that publishing takes each group as it is.
final class FixtureHub: Sendable {
    struct Subscriber: Sendable {
        let packets: AsyncStream<StreamPacket>.Continuation
        let ending: StreamEnding
        let capacity: Int
        /// Packets put on the queue so far.
        var queued = 0
    }

    private struct State {
        /// The subscribers whose streams send from their queue.
        var queued: [Int: Subscriber] = [:]
        /// The subscribers the hub writes to, by event loop.
        var direct: [ObjectIdentifier: [Int: DirectDelivery]] = [:]
        /// The event loop of each subscriber in `direct`.
        var loops: [Int: ObjectIdentifier] = [:]

        var count: Int { queued.count + loops.count }

        /// Takes a subscriber off the hub, whichever way it is delivered to; true if it was there.
        mutating func remove(_ id: Int) -> Bool {
            if let subscriber = queued.removeValue(forKey: id) {
                subscriber.packets.finish()
                return true
            }
            guard let loop = loops.removeValue(forKey: id) else { return false }
            direct[loop]?[id] = nil
            if direct[loop]?.isEmpty == true { direct[loop] = nil }
            return true
        }
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.count } }

    func add(_ id: Int, _ subscriber: Subscriber) {
        state.withLock { $0.queued[id] = subscriber }
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
    /// packets queued for it so far; false (nothing changes) when more are queued. `next` is the number of the
    /// next packet the stream has not sent.
    func handOver(_ id: Int, consumed: Int, next: Int, channel: any Channel) -> Bool {
        state.withLock { state in
            guard let subscriber = state.queued[id], subscriber.queued == consumed else { return false }
            state.queued[id] = nil
            subscriber.packets.finish()
            let ending = subscriber.ending
            let delivery = DirectDelivery(
                channel: channel, next: next, capacity: subscriber.capacity, ending: ending,
                end: { [weak self] reason in self?.drop(id, because: reason, ending: ending) })
            let loop = ObjectIdentifier(channel.eventLoop)
            state.direct[loop, default: [:]][id] = delivery
            state.loops[id] = loop
            return true
        }
    }

    /// The same packets to every subscriber. A subscriber whose queue is full is dropped and told it is too slow.
    func publish(_ packets: [StreamPacket]) {
        let (direct, overflowed) = state.withLock { state in
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
            return (state.direct, overflowed)
        }
        for (id, ending) in overflowed { drop(id, because: .tooSlow, ending: ending) }
        DirectDelivery.write(packets, to: direct.values)
    }
}

/// The live delivery of a subscriber that the hub writes itself, onto its connection.
///
/// Its state is only touched on the connection's event loop. Each packet's frame is encoded once for all
/// subscribers (``StreamPacket/textFrame``) and written past the websocket encoder, straight towards the socket,
/// in order with every frame the encoder passes on. Frames go straight into the channel, so the queue bound is
/// kept there: a subscriber is dropped (1013) when `capacity` packets in a row found its
/// connection not writable (more than the channel's write buffer high-water mark already waiting).
final class DirectDelivery: Sendable {
    let channel: any Channel
    let capacity: Int
    /// The stream's ending: once it has a reason, the stream is closing and nothing more is written.
    let ending: StreamEnding
    let end: @Sendable (StreamEnd) -> Void
    private let state: NIOLoopBoundBox<State>

    private struct State {
        /// The number of the next packet to write; lower ones were sent by the stream.
        var next: Int
        /// Packets written in a row while the connection was not writable.
        var backlogged = 0
        /// The websocket encoder's place in the pipeline: what is written there goes on to the socket as is.
        var pastEncoder: ChannelHandlerContext?
    }

    init(
        channel: any Channel, next: Int, capacity: Int, ending: StreamEnding,
        end: @escaping @Sendable (StreamEnd) -> Void
    ) {
        self.channel = channel
        self.capacity = capacity
        self.ending = ending
        self.end = end
        self.state = .makeBoxSendingValue(State(next: next), eventLoop: channel.eventLoop)
    }

    /// Writes the packets to every delivery, given in groups of one event loop each: one task per event loop,
    /// which writes to all of that loop's.
    static func write(_ packets: [StreamPacket], to groups: some Collection<[Int: DirectDelivery]>) {
        guard !groups.isEmpty else { return }
        let frames = packets.map(\.textFrame)
        for group in groups {
            guard let eventLoop = group.first?.value.channel.eventLoop else { continue }
            eventLoop.execute {
                for delivery in group.values { delivery.write(packets, frames) }
            }
        }
    }

    /// On the event loop: writes the packets not yet sent, in order, and flushes once.
    private func write(_ packets: [StreamPacket], _ frames: [ByteBuffer]) {
        var state = self.state.value
        defer { self.state.value = state }
        // A stream that is ending (its close frame is written, or about to be on this same loop) gets nothing more.
        guard ending.reason == nil else { return }
        if state.pastEncoder == nil {
            state.pastEncoder = try? channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        }
        // No encoder: the connection is closed and its handlers gone.
        guard let pastEncoder = state.pastEncoder else { return }
        defer { pastEncoder.flush() }
        for (packet, frame) in zip(packets, frames) where packet.seqNum >= state.next {
            guard packet.seqNum == state.next else {
                // The hub publishes every stored packet in order: a gap is a fault, never expected.
                return end(.serverError)
            }
            state.backlogged = channel.isWritable ? 0 : state.backlogged + 1
            guard state.backlogged <= capacity else { return end(.tooSlow) }
            pastEncoder.write(NIOAny(frame), promise: nil)
            state.next += 1
            if packet.finished { return end(.finished) }
        }
    }
}
