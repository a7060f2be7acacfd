import Foundation
import NIOCore
import Synchronization

/// The REST actions lists of finished fixtures, kept as the bytes of the answer body.
///
/// A finished fixture's list never changes (no packet is accepted after `finished: true`), so it is read from
/// the store once and then served from memory: reading 1,500 packet rows for every request was the cost of
/// the REST path (docs/benchmarks.md). The cache holds at most `capacityBytes`; when full, the lists stored
/// first are dropped first.
final class FinishedListCache: Sendable {
    private struct Entry {
        let lastSeqNum: Int
        let body: ByteBuffer
    }

    private struct State {
        var entries: [UUID: Entry] = [:]
        var order: [UUID] = []
        var bytes = 0
    }

    /// The memory the server gives to finished lists: about 80 lists of a long match.
    static let capacity = 128 << 20

    let capacityBytes: Int
    private let state = Mutex(State())

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// The body of a finished fixture's list, if cached for this `lastSeqNum`.
    func body(fixtureId: UUID, lastSeqNum: Int) -> ByteBuffer? {
        state.withLock { state in
            guard let entry = state.entries[fixtureId], entry.lastSeqNum == lastSeqNum else { return nil }
            return entry.body
        }
    }

    func store(_ body: ByteBuffer, fixtureId: UUID, lastSeqNum: Int) {
        guard body.readableBytes <= capacityBytes else { return }
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: fixtureId) {
                state.bytes -= old.body.readableBytes
                state.order.removeAll { $0 == fixtureId }
            }
            while state.bytes + body.readableBytes > capacityBytes, !state.order.isEmpty {
                let dropped = state.order.removeFirst()
                state.bytes -= state.entries.removeValue(forKey: dropped)?.body.readableBytes ?? 0
            }
            state.entries[fixtureId] = Entry(lastSeqNum: lastSeqNum, body: body)
            state.order.append(fixtureId)
            state.bytes += body.readableBytes
        }
    }
}
