import Foundation
import NIOCore
import Testing

@testable import MatchwireServer

@Suite struct FinishedListCacheTests {
    @Test func servesTheBodyStoredForTheSameLastSequenceNumberOnly() {
        let cache = FinishedListCache(capacityBytes: 100)
        let id = UUID()
        cache.store(ByteBuffer(string: "[1,2]"), fixtureId: id, lastSeqNum: 2)
        #expect(cache.body(fixtureId: id, lastSeqNum: 2) == ByteBuffer(string: "[1,2]"))
        #expect(cache.body(fixtureId: id, lastSeqNum: 3) == nil)
        #expect(cache.body(fixtureId: UUID(), lastSeqNum: 2) == nil)
    }

    @Test func dropsTheListsStoredFirstWhenFull() {
        let cache = FinishedListCache(capacityBytes: 25)
        let ids = (0..<3).map { _ in UUID() }
        for id in ids { cache.store(ByteBuffer(repeating: 0x20, count: 10), fixtureId: id, lastSeqNum: 1) }
        #expect(cache.body(fixtureId: ids[0], lastSeqNum: 1) == nil)
        #expect(cache.body(fixtureId: ids[1], lastSeqNum: 1) != nil)
        #expect(cache.body(fixtureId: ids[2], lastSeqNum: 1) != nil)
        // Larger than the whole cache: not kept, nothing dropped for it.
        cache.store(ByteBuffer(repeating: 0x20, count: 26), fixtureId: UUID(), lastSeqNum: 1)
        #expect(cache.body(fixtureId: ids[1], lastSeqNum: 1) != nil)
    }
}
