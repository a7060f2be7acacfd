import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Every open stream and, per topic (a fixture's actions or its statistics, ``StreamTopic``), the subscribers
/// waiting for live packets.
///
/// The fixture writer hands each stored packet to ``publish(_:topic:)``, which puts the same bytes on the
/// bounded queue of every subscriber still sending its backlog, and hands them to the event loops of those that
/// have caught up, which write them onto their connections (``FixtureHub``, ``LoopBacklog``), and returns at
/// once: ingest never waits for a subscriber. A subscriber that falls a whole queue behind is taken off the hub
/// and told to close with 1013; the others are not slowed.
///
/// It is also the service that closes every stream with 1001 when the server shuts down, before the HTTP
/// server stops, so that clients can resume elsewhere with `startPosition`.
public final class StreamHub: Service, Sendable {
    /// How long shutdown waits for the streams to finish their closing handshakes.
    static let shutdownWait = Duration.seconds(5)

    private struct State {
        /// The hub of each topic with subscribers or with packets published. The hub of a topic that has
        /// published is kept while the server runs (like its fixture's writer): it knows the last number
        /// published, which a new subscriber's hand-over is checked against, and a publish never finds a hub
        /// replaced under it.
        var topics: [StreamTopic: FixtureHub] = [:]
        /// The topics whose hubs have published.
        var published: Set<StreamTopic> = []
        var streams: [Int: StreamEnding] = [:]
        /// The token of each authenticated stream, by name.
        var tokens: [Int: String] = [:]
        var nextStreamId = 0
        var shuttingDown = false
    }

    private let state = Mutex(State())
    private let logger: Logger
    /// The server's metrics: the hub's direct writes count the frames and measure the delivery lag.
    let metrics: ServerMetrics
    /// Each event loop's writing turns, shared by the backlogs of all the hubs (``LoopTurns``).
    private let turns = LoopTurns.Registry()

    public init(logger: Logger, metrics: ServerMetrics = ServerMetrics()) {
        self.logger = logger
        self.metrics = metrics
    }

    // MARK: Publishing

    /// Hands stored packets of a topic, in order of their numbers, to its subscribers. False when they start
    /// after a gap (packets stored by another node not published here yet): see ``FixtureHub/publish(_:)``.
    @discardableResult
    func publish(_ packets: [StreamPacket], topic: StreamTopic) -> Bool {
        guard !packets.isEmpty else { return true }
        let hub = state.withLock { state in
            state.published.insert(topic)
            if let hub = state.topics[topic] { return hub }
            let hub = FixtureHub(metrics: metrics.streams, turns: turns)
            state.topics[topic] = hub
            return hub
        }
        return hub.publish(packets)
    }

    /// The last number the topic's hub published, and whether it has a hub at all (a topic nobody here
    /// subscribed to and nothing here published has none, and nothing to catch up).
    func publishedThrough(_ topic: StreamTopic) -> (hasHub: Bool, publishedThrough: Int?) {
        guard let hub = state.withLock({ $0.topics[topic] }) else { return (false, nil) }
        return (true, hub.publishedThrough)
    }

    /// The topics with subscribers on this node: the ones whose packets stored by other nodes it must read.
    var subscribedTopics: [StreamTopic] {
        state.withLock { state in state.topics.filter { $0.value.count > 0 }.map(\.key) }
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
    func close(_ stream: OpenStream, topic: StreamTopic) {
        state.withLock { state in
            state.streams[stream.id] = nil
            state.tokens[stream.id] = nil
            if let hub = state.topics[topic], hub.remove(stream.id), !state.published.contains(topic) {
                state.topics[topic] = nil
            }
        }
    }

    /// Subscribes a stream to the live packets of a topic, with a queue of `capacity` packets. Called before the
    /// backlog is read, so that no packet stored meanwhile can be missed.
    func subscribe(_ stream: OpenStream, topic: StreamTopic, capacity: Int) -> Subscription {
        let (packets, continuation) = AsyncStream.makeStream(
            of: StreamPacket.self, bufferingPolicy: .bufferingOldest(capacity))
        let publishedThrough = state.withLock { state -> Int? in
            // A stream whose connection closed before its delivery task got here is not subscribed: nothing would
            // ever take it off the hub.
            guard state.streams[stream.id] != nil else {
                continuation.finish()
                return nil
            }
            let hub = state.topics[topic] ?? FixtureHub(metrics: metrics.streams, turns: turns)
            state.topics[topic] = hub
            return hub.add(
                stream.id, FixtureHub.Subscriber(packets: continuation, ending: stream.ending, capacity: capacity))
        }
        return Subscription(packets: packets, publishedThrough: publishedThrough)
    }

    /// Lets the hub write a subscriber's live packets onto its connection from now on; see
    /// ``FixtureHub/handOver(_:consumed:next:channel:)``.
    func handOver(_ stream: OpenStream, topic: StreamTopic, consumed: Int, next: Int, channel: any Channel)
        -> FixtureHub.HandOver
    {
        state.withLock { $0.topics[topic] }?.handOver(stream.id, consumed: consumed, next: next, channel: channel)
            ?? .moreQueued
    }

    /// Records the token a stream was authenticated with.
    func authenticated(_ stream: OpenStream, token name: String) {
        state.withLock { state in
            if state.streams[stream.id] != nil { state.tokens[stream.id] = name }
        }
    }

    /// The names of the tokens of open streams.
    var streamTokens: Set<String> { state.withLock { Set($0.tokens.values) } }

    /// Ends every open stream of these tokens with an ERROR message and 1008; returns how many.
    @discardableResult
    func endStreams(ofTokens names: Set<String>) -> Int {
        let endings = state.withLock { state in
            state.tokens.filter { names.contains($0.value) }.compactMap { state.streams[$0.key] }
        }
        for ending in endings { ending.end(.revoked) }
        return endings.count
    }

    /// The streams subscribed to a fixture's live action packets: for tests and operators.
    public func subscriberCount(fixtureId: UUID) -> Int {
        subscriberCount(StreamTopic(fixtureId: fixtureId, content: .actions))
    }

    /// The streams subscribed to a topic's live packets.
    func subscriberCount(_ topic: StreamTopic) -> Int {
        state.withLock { $0.topics[topic] }?.count ?? 0
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
        // The wait ends early when the shutdown runs out of time and cancels the services.
        let deadline = ContinuousClock.now + Self.shutdownWait
        while state.withLock({ !$0.streams.isEmpty }), ContinuousClock.now < deadline {
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                return
            }
        }
    }
}

/// A stream's subscription to a fixture's live packets.
struct Subscription: Sendable {
    /// Every packet published after the subscription, in order, until the queue is full or the stream ends.
    let packets: AsyncStream<StreamPacket>
    /// The last number published before the subscription (nil: none since the server started): those packets
    /// are in the store, and the stream must send them from there.
    let publishedThrough: Int?
}
