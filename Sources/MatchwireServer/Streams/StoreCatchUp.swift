import Foundation
import MatchwireStore

/// Publishes a topic's stored packets that its hub has not published yet, read from the store after the hub's
/// last number, in order.
///
/// Two paths need it. Several nodes share one store: packets another node stored reach this node's subscribers
/// this way (``CrossNodeDelivery``), and a local writer whose packets come after such packets fills the gap
/// before them. And an append that failed may still have been committed: its packets are published from the
/// store, so that live streams do not wait for the scout's retry.
///
/// Runs of it may overlap: each reads from the hub's number at its start, and the hub leaves out what another
/// run published meanwhile, so every packet is published once.
struct StoreCatchUp: Sendable {
    let store: any EventStore
    let hub: StreamHub

    /// Packets read from the store at once.
    static let batch = 500

    /// Catches up both topics of a fixture, its actions and its statistics (stored in the same transactions).
    func run(fixtureId: UUID) async throws {
        for content in StreamContent.allCases { try await run(StreamTopic(fixtureId: fixtureId, content: content)) }
    }

    func run(_ topic: StreamTopic) async throws {
        let (hasHub, publishedThrough) = hub.publishedThrough(topic)
        guard hasHub else { return }
        guard var after = publishedThrough else {
            // Nothing published here yet: the subscribers read the store, and wait on their queues for the first
            // packet the hub publishes. The last stored one starts the hub's sequence.
            if let last = try await store.lastStreamPacket(topic) { hub.publish([last], topic: topic) }
            return
        }
        while true {
            let packets = try await store.streamPackets(topic, after: after, limit: Self.batch)
            guard let last = packets.last else { return }
            // A false answer cannot come from packets read right after the hub's number; if another run moved the
            // hub on meanwhile, the hub leaves out what it already has.
            hub.publish(packets, topic: topic)
            after = last.seqNum
            if packets.count < Self.batch { return }
        }
    }
}
