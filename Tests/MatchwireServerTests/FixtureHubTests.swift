import Foundation
import MatchwireCore
import MatchwireStore
import MetricsTestKit
import NIOCore
import NIOConcurrencyHelpers
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import MatchwireServer

/// The hand-over of a stream's live packets to the hub, pinned down step by step: the interleavings that made
/// a stream skip packets (issue 13) as deterministic cases.
@Suite struct FixtureHubTests {
    static let fixtureId = UUID()
    static let topic = StreamTopic(fixtureId: fixtureId, content: .actions)

    /// Packets numbered `numbers`; the last one ends the fixture when `finishing`.
    static func packets(_ numbers: ClosedRange<Int>, finishing: Bool = false) throws -> [StreamPacket] {
        try numbers.map { seq in
            try StreamPacket(
                stored: StoredPacket(
                    fixtureId: fixtureId, seqNum: seq, period: 1, actionId: UUID(), sendType: .confirmed,
                    traceId: "t", receivedAt: Timestamp(millisecondsSince1970: 0), submission: [],
                    bytes: Array(payload(seq, finished: finishing && seq == numbers.upperBound).utf8)))
        }
    }

    static func subscriber() -> (AsyncStream<StreamPacket>, FixtureHub.Subscriber) {
        let (packets, continuation) = AsyncStream.makeStream(of: StreamPacket.self, bufferingPolicy: .unbounded)
        return (packets, FixtureHub.Subscriber(packets: continuation, ending: StreamEnding { _ in }, capacity: 100))
    }

    /// Packets 1-3 were published (so stored) before the stream subscribed; its read of the store ended at 2. It
    /// must not be handed over at 3: the hub's next write is 4, and 3 would be skipped.
    @Test func aStreamThatHasNotSentWhatWasPublishedBeforeItSubscribedIsNotHandedOver() throws {
        let hub = FixtureHub(turns: LoopTurns.Registry())
        #expect(hub.publish(try Self.packets(1...3)))
        let (_, subscriber) = Self.subscriber()
        #expect(hub.add(1, subscriber) == 3, "the subscriber learns what was published before it")
        let channel = EmbeddedChannel()
        #expect(hub.handOver(1, consumed: 0, next: 3, channel: channel) == .behind(publishedThrough: 3))
        #expect(hub.handOver(1, consumed: 0, next: 4, channel: channel) == .handedOver)
    }

    /// A packet queued for the stream and not yet taken keeps it off the direct path.
    @Test func aStreamWithPacketsStillQueuedIsNotHandedOver() async throws {
        let hub = FixtureHub(turns: LoopTurns.Registry())
        let (queue, subscriber) = Self.subscriber()
        #expect(hub.add(1, subscriber) == nil)
        #expect(hub.publish(try Self.packets(1...2)))
        let channel = EmbeddedChannel()
        #expect(hub.handOver(1, consumed: 0, next: 1, channel: channel) == .moreQueued)
        var iterator = queue.makeAsyncIterator()
        #expect(await iterator.next()?.seqNum == 1)
        #expect(await iterator.next()?.seqNum == 2)
        #expect(hub.handOver(1, consumed: 2, next: 3, channel: channel) == .handedOver)
    }

    /// A stream that subscribed before anything was stored (a statistics stream before the first point) is handed
    /// over at once, so that a burst of ingest cannot keep it on its queue; the hub's sequence then starts at 1,
    /// and a first publish after a gap (another node ahead) is refused for the store to fill in.
    @Test func aStreamThatFoundNothingStoredIsHandedOverBeforeTheFirstPublish() throws {
        let hub = FixtureHub(turns: LoopTurns.Registry())
        let (_, subscriber) = Self.subscriber()
        #expect(hub.add(1, subscriber) == nil)
        let channel = EmbeddedChannel()
        #expect(hub.handOver(1, consumed: 0, next: 1, channel: channel) == .handedOver)
        #expect(hub.publishedThrough == 0)
        #expect(!hub.publish(try Self.packets(3...4)), "packets 1 and 2 first")
        #expect(hub.publish(try Self.packets(1...4)))
        #expect(hub.publishedThrough == 4)
    }

    /// Before the first publish, a stream that sent packets from the store is told that the hub's sequence has
    /// no start yet: it publishes the last one it sent, and is handed over once that is off its queue.
    @Test func aStreamThatSentStoredPacketsBeforeTheFirstPublishStartsTheHubsSequence() async throws {
        let hub = FixtureHub(turns: LoopTurns.Registry())
        let (queue, subscriber) = Self.subscriber()
        #expect(hub.add(1, subscriber) == nil)
        let channel = EmbeddedChannel()
        #expect(hub.handOver(1, consumed: 0, next: 6, channel: channel) == .unknownStart)
        #expect(hub.publishedThrough == nil, "nothing is assumed")
        #expect(hub.publish(try Self.packets(5...5)))
        var iterator = queue.makeAsyncIterator()
        #expect(await iterator.next()?.seqNum == 5)
        #expect(hub.handOver(1, consumed: 1, next: 6, channel: channel) == .handedOver)
    }

    /// The hub of a fixture that has published outlives its last subscriber, so that the next one still learns
    /// what was published, and a publish never lands on a hub that was replaced meanwhile.
    @Test func aFixturesHubKeepsWhatItPublishedWhenItsLastSubscriberLeaves() throws {
        let streams = StreamHub(logger: .init(label: "test"))
        let firstOpened = streams.open(onEnd: { _ in })
        let first = try #require(firstOpened)
        _ = streams.subscribe(first, topic: Self.topic, capacity: 10)
        streams.publish(try Self.packets(1...5), topic: Self.topic)
        streams.close(first, topic: Self.topic)
        #expect(streams.subscriberCount(fixtureId: Self.fixtureId) == 0)
        let secondOpened = streams.open(onEnd: { _ in })
        let second = try #require(secondOpened)
        let subscription = streams.subscribe(second, topic: Self.topic, capacity: 10)
        #expect(subscription.publishedThrough == 5)
    }

    /// A connection may close before its delivery task subscribes: the late subscription must not stay on the hub,
    /// where nothing would ever remove it.
    @Test func aStreamClosedBeforeItSubscribesIsNotSubscribed() async throws {
        let streams = StreamHub(logger: .init(label: "test"))
        let opened = streams.open(onEnd: { _ in })
        let stream = try #require(opened)
        streams.close(stream, topic: Self.topic)
        let subscription = streams.subscribe(stream, topic: Self.topic, capacity: 10)
        #expect(streams.subscriberCount(fixtureId: Self.fixtureId) == 0)
        var packets = subscription.packets.makeAsyncIterator()
        #expect(await packets.next() == nil, "its queue is finished at once")
    }

    // MARK: What a loop has yet to write (LoopBacklog)

    /// Counts the flushes that reach the socket's end of the pipeline (placed before the websocket encoder, so
    /// that what the hub writes past the encoder goes through it).
    final class FlushCounter: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = ByteBuffer
        let flushes = NIOLockedValueBox(0)

        func flush(context: ChannelHandlerContext) {
            flushes.withLockedValue { $0 += 1 }
            context.flush()
        }
    }

    /// A connection the hub writes to, on `loop`, with its flushes counted.
    static func directConnection(on loop: EmbeddedEventLoop) throws -> (EmbeddedChannel, FlushCounter) {
        let counter = FlushCounter()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandlers(counter, WebSocketFrameEncoder())
        return (channel, counter)
    }

    /// Subscribers `ids` on the hub, each handed over at packet 1 on a connection of `loop`; with their queues,
    /// kept alive for the test.
    static func handedOver(_ ids: some Sequence<Int>, to hub: FixtureHub, on loop: EmbeddedEventLoop) throws -> (
        connections: [(EmbeddedChannel, FlushCounter)], queues: [AsyncStream<StreamPacket>]
    ) {
        var connections: [(EmbeddedChannel, FlushCounter)] = []
        var queues: [AsyncStream<StreamPacket>] = []
        for id in ids {
            let (queue, subscriber) = Self.subscriber()
            queues.append(queue)
            _ = hub.add(id, subscriber)
            let connection = try Self.directConnection(on: loop)
            guard hub.handOver(id, consumed: 0, next: 1, channel: connection.0) == .handedOver else {
                throw CocoaError(.featureUnsupported)
            }
            connections.append(connection)
        }
        return (connections, queues)
    }

    /// The payloads of the text frames written to a connection so far, in order (each payload under 126 bytes:
    /// a two-byte header).
    static func payloads(_ channel: EmbeddedChannel) throws -> [String] {
        var payloads: [String] = []
        while var frame = try channel.readOutbound(as: ByteBuffer.self) {
            guard frame.readInteger(as: UInt8.self) == 0x81, let length = frame.readInteger(as: UInt8.self),
                length < 126, frame.readableBytes == length
            else { throw CocoaError(.coderReadCorrupt) }
            payloads.append(String(buffer: frame))
        }
        return payloads
    }

    static func payload(_ seq: Int, finished: Bool = false) -> String { #"{"finished":\#(finished),"n":\#(seq)}"# }

    /// Packets published before a loop gets to write them wait for it, and then reach each of its subscribers together,
    /// in order, flushed once: one system call per subscriber for all of them, which is how a loop behind its
    /// publisher catches up. Nothing is written before the loop runs.
    @Test func packetsPublishedBeforeTheLoopWritesGoToEachSubscriberTogetherFlushedOnce() throws {
        let loop = EmbeddedEventLoop()
        let hub = FixtureHub(turns: LoopTurns.Registry())
        let (connections, queues) = try Self.handedOver(1...3, to: hub, on: loop)
        for seq in 1...3 { #expect(hub.publish(try Self.packets(seq...seq))) }
        for (channel, _) in connections {
            #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing before the loop runs")
        }
        loop.run()
        for (channel, counter) in connections {
            #expect(try Self.payloads(channel) == (1...3).map { Self.payload($0) })
            #expect(counter.flushes.withLockedValue { $0 } == 1, "the three frames flushed together")
        }
        // Once the loop has written everything, the next packet is written on its own, as soon as the loop runs.
        #expect(hub.publish(try Self.packets(4...4)))
        loop.run()
        for (channel, counter) in connections {
            #expect(try Self.payloads(channel) == [Self.payload(4)])
            #expect(counter.flushes.withLockedValue { $0 } == 2)
        }
        for (channel, _) in connections { _ = try channel.finish() }
        withExtendedLifetime(queues) {}
    }

    /// A subscriber handed over between two publishes that wait for the same loop gets the later packet only:
    /// the earlier one was stored before it took over, and it sent that one itself.
    @Test func aSubscriberHandedOverBetweenTwoWaitingPublishesGetsOnlyTheLaterOne() throws {
        let loop = EmbeddedEventLoop()
        let hub = FixtureHub(turns: LoopTurns.Registry())
        let (firstQueue, first) = Self.subscriber()
        let (secondQueue, second) = Self.subscriber()
        _ = hub.add(1, first)
        let (early, _) = try Self.directConnection(on: loop)
        #expect(hub.handOver(1, consumed: 0, next: 1, channel: early) == .handedOver)
        #expect(hub.publish(try Self.packets(1...1)))
        #expect(hub.add(2, second) == 1)
        let (late, _) = try Self.directConnection(on: loop)
        #expect(hub.handOver(2, consumed: 0, next: 2, channel: late) == .handedOver)
        #expect(hub.publish(try Self.packets(2...2)))
        loop.run()
        #expect(try Self.payloads(early) == [Self.payload(1), Self.payload(2)])
        #expect(try Self.payloads(late) == [Self.payload(2)])
        _ = try early.finish()
        _ = try late.finish()
        withExtendedLifetime((firstQueue, secondQueue)) {}
    }

    /// Each event loop has its own backlog: a loop's subscribers get the packets when that loop runs, whatever
    /// the other loop does.
    @Test func eachEventLoopWritesItsOwnSubscribers() throws {
        let loops = [EmbeddedEventLoop(), EmbeddedEventLoop()]
        let hub = FixtureHub(turns: LoopTurns.Registry())
        let first = try Self.handedOver(0...0, to: hub, on: loops[0])
        let second = try Self.handedOver(1...1, to: hub, on: loops[1])
        let channels = [first.connections[0].0, second.connections[0].0]
        #expect(hub.publish(try Self.packets(1...2)))
        loops[1].run()
        #expect(try Self.payloads(channels[0]).isEmpty, "the first loop has not run")
        #expect(try Self.payloads(channels[1]) == [Self.payload(1), Self.payload(2)])
        loops[0].run()
        #expect(try Self.payloads(channels[0]) == [Self.payload(1), Self.payload(2)])
        for channel in channels { _ = try channel.finish() }
        withExtendedLifetime((first.queues, second.queues)) {}
    }

    /// A loop writes a publish a turn of subscribers at a time and reads its sockets between turns, so that an
    /// ingest request (the next packet) is read while it writes to thousands; what arrives meanwhile goes to the
    /// subscribers of the later turns together with the packet before, and to the earlier turns' in a second pass.
    @Test func aLoopWritesATurnOfSubscribersAtATimeAndWhatArrivesMeanwhileGoesWithIt() throws {
        let loop = EmbeddedEventLoop()
        let hub = FixtureHub(turns: LoopTurns.Registry())
        let turn = LoopBacklog.deliveriesPerTurn
        let count = 2 * turn + turn / 2
        let (connections, queues) = try Self.handedOver(0..<count, to: hub, on: loop)
        var received = [[String]](repeating: [], count: count)
        func collect() throws {
            for (index, (channel, _)) in connections.enumerated() { received[index] += try Self.payloads(channel) }
        }
        let (one, two, three) = (Self.payload(1), Self.payload(2), Self.payload(3))

        #expect(hub.publish(try Self.packets(1...1)))
        loop.run()
        try collect()
        #expect(received.filter { $0 == [one] }.count == turn, "one turn, then the loop polls its sockets")
        #expect(received.filter(\.isEmpty).count == count - turn)

        #expect(hub.publish(try Self.packets(2...2)), "read between two turns")
        loop.advanceTime(by: LoopTurns.gap)
        try collect()
        #expect(received.filter { $0 == [one, two] }.count == turn, "the second turn gets both packets at once")

        for _ in 0..<5 { loop.advanceTime(by: LoopTurns.gap) }
        try collect()
        #expect(received.allSatisfy { $0 == [one, two] }, "the second pass gives the first turn packet 2")
        let flushes = connections.map { $0.1.flushes.withLockedValue { $0 } }
        #expect(flushes.filter { $0 == 2 }.count == turn, "the first turn's subscribers: one flush per pass")
        #expect(flushes.filter { $0 == 1 }.count == count - turn, "the others': both packets in one flush")

        // Done with both packets, the loop is idle: the next publish is written at once, from a new pass.
        #expect(hub.publish(try Self.packets(3...3)))
        loop.run()
        try collect()
        #expect(received.filter { $0.last == three }.count == turn)
        for (channel, _) in connections { _ = try channel.finish() }
        withExtendedLifetime(queues) {}
    }

    /// The backlogs of one loop take turns (a fixture's actions and statistics here, two hubs): one turn at a time,
    /// one after the other, each followed by a poll of the sockets. Each backlog scheduling its own next turn would
    /// find the other's due after each of its turns, and write both passes without a poll.
    @Test func theBacklogsOfOneLoopTakeTurnsOneTurnAtATime() throws {
        let loop = EmbeddedEventLoop()
        let turns = LoopTurns.Registry()
        let hubs = [FixtureHub(turns: turns), FixtureHub(turns: turns)]
        let turn = LoopBacklog.deliveriesPerTurn
        let subscribers = try hubs.map { hub in try Self.handedOver(0..<(3 * turn), to: hub, on: loop) }
        let connections = subscribers.map(\.connections)
        func written() throws -> [Int] {
            try connections.map { try $0.map { try Self.payloads($0.0).count }.reduce(0, +) }
        }
        for hub in hubs { #expect(hub.publish(try Self.packets(1...1))) }
        loop.run()
        #expect(try written() == [turn, 0], "the first hub's first turn, then a poll")
        // The first hub had asked for its next turn before the second hub's publish reached the loop: first come,
        // first served, each one turn at a time.
        let order: [(first: Int, second: Int)] = [(turn, 0), (0, turn), (turn, 0), (0, turn), (0, turn), (0, 0)]
        for (step, (first, second)) in order.enumerated() {
            loop.advanceTime(by: LoopTurns.gap)
            #expect(try written() == [first, second], "turn \(step + 2)")
        }
        for connection in connections.joined() { _ = try connection.0.finish() }
        withExtendedLifetime(subscribers) {}
    }

    /// Two turns of subscribers handed over to a hub on one loop, and packet 1 published: the loop has written the
    /// first turn and scheduled the second.
    static func inTheMiddleOfAPass() throws -> (
        loop: EmbeddedEventLoop, hub: FixtureHub, connections: [(EmbeddedChannel, FlushCounter)],
        queues: [AsyncStream<StreamPacket>]
    ) {
        let loop = EmbeddedEventLoop()
        let hub = FixtureHub(turns: LoopTurns.Registry())
        let (connections, queues) = try Self.handedOver(0..<(2 * LoopBacklog.deliveriesPerTurn), to: hub, on: loop)
        #expect(hub.publish(try Self.packets(1...1)))
        loop.run()
        return (loop, hub, connections, queues)
    }

    /// A subscriber handed over in the middle of a pass (it sent packet 1 itself) gets packet 2 from the next pass;
    /// every other subscriber gets both, once each.
    @Test func aSubscriberHandedOverInTheMiddleOfAPassGetsWhatFollows() throws {
        let (loop, hub, connections, queues) = try Self.inTheMiddleOfAPass()
        let (lateQueue, late) = Self.subscriber()
        #expect(hub.add(-1, late) == 1)
        let (lateChannel, _) = try Self.directConnection(on: loop)
        #expect(hub.handOver(-1, consumed: 0, next: 2, channel: lateChannel) == .handedOver)
        #expect(hub.publish(try Self.packets(2...2)))
        for _ in 0..<4 { loop.advanceTime(by: LoopTurns.gap) }
        #expect(try Self.payloads(lateChannel) == [Self.payload(2)])
        for (channel, _) in connections { #expect(try Self.payloads(channel) == [Self.payload(1), Self.payload(2)]) }
        _ = try lateChannel.finish()
        for (channel, _) in connections { _ = try channel.finish() }
        withExtendedLifetime((queues, lateQueue)) {}
    }

    /// The fixture's last packet ends every stream as it is written, turn by turn: each is taken off the hub from
    /// within the pass (the hub's lock taken inside a turn), and none gets anything after it.
    @Test func streamsEndedInTheMiddleOfAPassGetNothingMore() throws {
        let loop = EmbeddedEventLoop()
        let hub = FixtureHub(turns: LoopTurns.Registry())
        let turn = LoopBacklog.deliveriesPerTurn
        let (connections, queues) = try Self.handedOver(0..<(2 * turn), to: hub, on: loop)
        #expect(hub.publish(try Self.packets(1...2, finishing: true)))
        loop.run()
        #expect(hub.count == turn, "the first turn's streams ended")
        #expect(hub.publish(try Self.packets(3...3)))
        for _ in 0..<4 { loop.advanceTime(by: LoopTurns.gap) }
        #expect(hub.count == 0)
        for (channel, _) in connections {
            #expect(try Self.payloads(channel) == [Self.payload(1), Self.payload(2, finished: true)])
        }
        for (channel, _) in connections { _ = try channel.finish() }
        withExtendedLifetime(queues) {}
    }

    /// A loop that shuts down cancels the turn it had scheduled: its turns stop there, and nothing more is written
    /// on it, neither the rest of the pass nor a later publish (the loop's connections are closing), while the hub
    /// goes on taking publishes.
    @Test func aLoopThatShutsDownStopsItsTurns() throws {
        let (loop, hub, connections, queues) = try Self.inTheMiddleOfAPass()
        let turn = LoopBacklog.deliveriesPerTurn
        try loop.syncShutdownGracefully()

        #expect(hub.publish(try Self.packets(2...2)), "the hub still takes publishes")
        loop.advanceTime(by: .seconds(1))
        let written = try connections.map { try Self.payloads($0.0) }
        #expect(written.filter { $0 == [Self.payload(1)] }.count == turn, "the turn before the shutdown")
        #expect(written.filter(\.isEmpty).count == turn, "nothing after it")
        withExtendedLifetime(queues) {}
    }

    /// Every frame written is counted once, and each packet's lag observed once per loop, when it has reached every
    /// subscriber there (the loop's worst), even when it reaches them over two passes.
    @Test func eachFrameIsCountedAndEachPacketsLagObservedOncePerLoop() throws {
        let metrics = TestMetrics()
        let loop = EmbeddedEventLoop()
        let hub = FixtureHub(metrics: StreamMetrics(factory: metrics), turns: LoopTurns.Registry())
        let turn = LoopBacklog.deliveriesPerTurn
        let (connections, queues) = try Self.handedOver(0..<(2 * turn + turn / 2), to: hub, on: loop)
        #expect(hub.publish(try Self.packets(1...1)))
        loop.run()
        #expect(hub.publish(try Self.packets(2...2)), "mid-pass: packet 2 reaches the first turn in the next pass")
        for _ in 0..<6 { loop.advanceTime(by: LoopTurns.gap) }
        let sent = try metrics.expectCounter("matchwire_stream_messages_sent_total", [("kind", "data")])
        #expect(sent.totalValue == Int64(2 * connections.count))
        let lag = try metrics.expectTimer("matchwire_delivery_lag_seconds", [("feed", "betting")])
        #expect(lag.values.count == 2, "one observation per packet")
        for (channel, _) in connections {
            #expect(try Self.payloads(channel) == [Self.payload(1), Self.payload(2)])
            _ = try channel.finish()
        }
        withExtendedLifetime(queues) {}
    }
}
