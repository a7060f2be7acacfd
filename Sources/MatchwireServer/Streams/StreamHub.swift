import Foundation
import Logging
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

    /// Registers a new stream. Nil while the server is shutting down: the stream is closed with 1001 at once.
    func open() -> OpenStream? {
        let (endings, continuation) = AsyncStream.makeStream(of: StreamEnd.self, bufferingPolicy: .bufferingOldest(1))
        let ending = StreamEnding(continuation)
        let id: Int? = state.withLock { state in
            guard !state.shuttingDown else { return nil }
            state.nextStreamId += 1
            state.streams[state.nextStreamId] = ending
            return state.nextStreamId
        }
        return id.map { OpenStream(id: $0, endings: endings, ending: ending) }
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
            hub.add(stream.id, FixtureHub.Subscriber(packets: continuation, ending: stream.ending))
            state.fixtures[fixtureId] = hub
        }
        return packets
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

/// A registered stream: its id and the signal that asks it to end.
struct OpenStream: Sendable {
    let id: Int
    /// Yields once, when something outside the stream ends it (shutdown, a full queue).
    let endings: AsyncStream<StreamEnd>
    let ending: StreamEnding
}

/// Asks a stream to end; the first reason given wins.
struct StreamEnding: Sendable {
    private let continuation: AsyncStream<StreamEnd>.Continuation

    init(_ continuation: AsyncStream<StreamEnd>.Continuation) {
        self.continuation = continuation
    }

    func end(_ reason: StreamEnd) {
        continuation.yield(reason)
        continuation.finish()
    }
}

/// The subscribers of one fixture.
final class FixtureHub: Sendable {
    struct Subscriber: Sendable {
        let packets: AsyncStream<StreamPacket>.Continuation
        let ending: StreamEnding
    }

    private let subscribers = Mutex<[Int: Subscriber]>([:])

    var count: Int { subscribers.withLock { $0.count } }

    func add(_ id: Int, _ subscriber: Subscriber) {
        subscribers.withLock { $0[id] = subscriber }
    }

    /// Removes a subscriber; true when none is left.
    func remove(_ id: Int) -> Bool {
        subscribers.withLock { subscribers in
            subscribers.removeValue(forKey: id)?.packets.finish()
            return subscribers.isEmpty
        }
    }

    /// The same packets to every subscriber. A subscriber whose queue is full is dropped and told it is too slow.
    func publish(_ packets: [StreamPacket]) {
        subscribers.withLock { subscribers in
            var overflowed: [Int] = []
            for (id, subscriber) in subscribers {
                for packet in packets {
                    if case .dropped = subscriber.packets.yield(packet) {
                        overflowed.append(id)
                        break
                    }
                }
            }
            for id in overflowed {
                guard let subscriber = subscribers.removeValue(forKey: id) else { continue }
                subscriber.packets.finish()
                subscriber.ending.end(.tooSlow)
            }
        }
    }
}
