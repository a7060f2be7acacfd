import Foundation
import MatchwireCore
import MatchwireStore

/// What a stream carries (protocol.md §2, §5): a fixture's action packets, numbered by `fixtureSeqNum`, or its
/// statistics packets, numbered by their own statistics `seqNum`. Both are gapless sequences stored in the same
/// transaction, so one streaming machinery serves both: everything from the hub to the socket only ever sees a
/// topic, numbered packets and their bytes.
enum StreamContent: String, Sendable, CaseIterable {
    case actions
    case statistics

    /// The last segment of the stream's path: `/{S}/fixtures/{id}/actions` or `/{S}/fixtures/{id}/statistics`.
    var pathSegment: String { rawValue }
}

/// One numbered sequence of packets that streams follow: a fixture's actions or its statistics. The hub keeps
/// the subscribers and the last number published per topic.
struct StreamTopic: Hashable, Sendable, CustomStringConvertible {
    let fixtureId: UUID
    let content: StreamContent

    var description: String { "\(content) of \(fixtureId.wire)" }
}

extension EventStore {
    /// Up to `limit` stored packets of the topic after number `seqNum`, in order.
    func streamPackets(_ topic: StreamTopic, after seqNum: Int, limit: Int) async throws -> [StreamPacket] {
        switch topic.content {
        case .actions:
            return try await packets(fixtureId: topic.fixtureId, after: seqNum, limit: limit).map {
                try StreamPacket(stored: $0)
            }
        case .statistics:
            return try await statistics(fixtureId: topic.fixtureId, after: seqNum, limit: limit).map {
                try StreamPacket(statistics: $0, fixtureId: topic.fixtureId)
            }
        }
    }

    /// The topic's last stored packet; nil when it has none.
    func lastStreamPacket(_ topic: StreamTopic) async throws -> StreamPacket? {
        switch topic.content {
        case .actions:
            let last = try await lastSeqNum(fixtureId: topic.fixtureId)
            guard last > 0 else { return nil }
            return try await streamPackets(topic, after: last - 1, limit: 1).first
        case .statistics:
            return try await latestStatistics(fixtureId: topic.fixtureId).map {
                try StreamPacket(statistics: $0, fixtureId: topic.fixtureId)
            }
        }
    }
}
