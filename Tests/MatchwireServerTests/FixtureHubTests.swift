import Foundation
import MatchwireCore
import MatchwireStore
import NIOCore
import NIOEmbedded
import Testing

@testable import MatchwireServer

/// The hand-over of a stream's live packets to the hub, pinned down step by step: the interleavings that made
/// a stream skip packets (issue 13) as deterministic cases.
@Suite struct FixtureHubTests {
    static let fixtureId = UUID()
    static let topic = StreamTopic(fixtureId: fixtureId, content: .actions)

    static func packets(_ numbers: ClosedRange<Int>) throws -> [StreamPacket] {
        try numbers.map { seq in
            try StreamPacket(
                stored: StoredPacket(
                    fixtureId: fixtureId, seqNum: seq, period: 1, actionId: UUID(), sendType: .confirmed,
                    traceId: "t", receivedAt: Timestamp(millisecondsSince1970: 0), submission: [],
                    bytes: Array(#"{"finished":false,"n":\#(seq)}"#.utf8)))
        }
    }

    static func subscriber() -> (AsyncStream<StreamPacket>, FixtureHub.Subscriber) {
        let (packets, continuation) = AsyncStream.makeStream(of: StreamPacket.self, bufferingPolicy: .unbounded)
        return (packets, FixtureHub.Subscriber(packets: continuation, ending: StreamEnding { _ in }, capacity: 100))
    }

    /// Packets 1-3 were published (so stored) before the stream subscribed; its read of the store ended at 2. It
    /// must not be handed over at 3: the hub's next write is 4, and 3 would be skipped.
    @Test func aStreamThatHasNotSentWhatWasPublishedBeforeItSubscribedIsNotHandedOver() throws {
        let hub = FixtureHub()
        hub.publish(try Self.packets(1...3))
        let (_, subscriber) = Self.subscriber()
        #expect(hub.add(1, subscriber) == 3, "the subscriber learns what was published before it")
        let channel = EmbeddedChannel()
        #expect(hub.handOver(1, consumed: 0, next: 3, channel: channel) == .behind(publishedThrough: 3))
        #expect(hub.handOver(1, consumed: 0, next: 4, channel: channel) == .handedOver)
    }

    /// A packet queued for the stream and not yet taken keeps it off the direct path.
    @Test func aStreamWithPacketsStillQueuedIsNotHandedOver() async throws {
        let hub = FixtureHub()
        let (queue, subscriber) = Self.subscriber()
        #expect(hub.add(1, subscriber) == nil)
        hub.publish(try Self.packets(1...2))
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
        let hub = FixtureHub()
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
        let hub = FixtureHub()
        let (queue, subscriber) = Self.subscriber()
        #expect(hub.add(1, subscriber) == nil)
        let channel = EmbeddedChannel()
        #expect(hub.handOver(1, consumed: 0, next: 6, channel: channel) == .unknownStart)
        #expect(hub.publishedThrough == nil, "nothing is assumed")
        hub.publish(try Self.packets(5...5))
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
}
