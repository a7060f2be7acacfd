import Foundation
import MatchwireCore

/// What a store checks of an append before it writes it, the same in every store.
enum AppendCheck {
    /// The numbers of one append must follow each other: `sequenceConflict` at the first gap.
    static func consecutive(_ packets: [StoredPacket], fixtureId: UUID) -> StoreError? {
        guard let first = packets.first else { return nil }
        return gap(in: packets, from: first.seqNum, fixtureId: fixtureId)
    }

    /// `sequenceConflict` at the first packet whose number is not the next from `expected` on, nil when none.
    private static func gap(in packets: [StoredPacket], from expected: Int, fixtureId: UUID) -> StoreError? {
        zip(expected..., packets).first { $0 != $1.seqNum }.map {
            .sequenceConflict(fixtureId: fixtureId, expected: $0.0, got: $0.1.seqNum)
        }
    }

    /// For each append of a group, in order: nil when it continues its fixture as stored (`versions`, read under
    /// the transaction's lock) and as the appends before it in the group leave it, else why it is refused:
    /// `unknownFixture`, `fixtureChanged` (made under another `updateCount`), or `sequenceConflict` (another
    /// writer took its numbers). A refused append changes nothing for the ones after it.
    static func refusals(
        of appends: [(fixtureId: UUID, updateCount: Int, packets: [StoredPacket])], versions: [UUID: FixtureVersion]
    ) -> [StoreError?] {
        var last = versions.mapValues(\.lastSeqNum)
        return appends.map { append in
            guard let version = versions[append.fixtureId], let stored = last[append.fixtureId] else {
                return .unknownFixture(append.fixtureId)
            }
            if version.updateCount != append.updateCount { return .fixtureChanged(append.fixtureId) }
            if let gap = gap(in: append.packets, from: stored + 1, fixtureId: append.fixtureId) { return gap }
            last[append.fixtureId] = stored + append.packets.count
            return nil
        }
    }
}
