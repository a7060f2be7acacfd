import Foundation
import MatchwireCore
import MatchwireServer
import MatchwireStore
import NIOWebSocket
import Synchronization
import Testing

/// The seam between a stream's read of the store and the hub's live packets, pinned down with a store whose reads
/// lag behind its commits, as a reader whose snapshot is older than the last commit does. A stream must never
/// skip a packet the hub published before it subscribed, nor be closed for it: it reads the store again until it
/// has them (issue 13).
@Suite struct StreamSeamTests {
    @Test func aResumingStreamWhoseFirstReadMissesTheLastCommitsStillGetsEveryPacketOnce() async throws {
        let lagging = Mutex<LaggingReads?>(nil)
        try await TestServer.start(serving: { store in
            let wrapped = LaggingReads(store)
            lagging.withLock { $0 = wrapped }
            return wrapped
        }) { server, client in
            let reads = try #require(lagging.withLock { $0 })
            try await server.ingest([server.action(2), server.action(4), server.action(6)], with: client)
            // The stream's first read of packets sees only packet 1, as if 2 and 3 were not yet committed.
            reads.hide(after: 1, forReads: 1)
            let transcript = StreamTranscript()
            let stream = Task {
                try await StreamClient.run(
                    port: try #require(client.port), path: server.streamPath(query: "startPosition=1"),
                    firstFrame: StreamClient.auth(server.consumer), into: transcript,
                    stop: { $0.seqNums.last == 5 })
            }
            try await waitUntil { server.hub.subscriberCount(fixtureId: server.fixture.id) == 1 && reads.lagged }
            try await server.ingest([server.action(1102, home: true)], with: client)
            try await server.ingest([server.action(1102, home: false)], with: client)
            _ = try await stream.value
            #expect(transcript.seqNums == [2, 3, 4, 5], "2 and 3 from the store, 4 and 5 live, each once")
            #expect(transcript.closeCode == nil || transcript.closeCode == .normalClosure)
        }
    }
}

/// A store whose next `count` reads of packets do not return the packets after a number: a reader that has not
/// yet seen the last commits.
final class LaggingReads: ForwardingStore, @unchecked Sendable {
    private let lag = Mutex<(after: Int, reads: Int)?>(nil)
    private let lagCount = Mutex(0)

    func hide(after seqNum: Int, forReads count: Int) {
        lag.withLock { $0 = (seqNum, count) }
    }

    /// Whether a read has lagged.
    var lagged: Bool { lagCount.withLock { $0 } > 0 }

    override func packets(fixtureId: UUID, after seqNum: Int, limit: Int) async throws -> [StoredPacket] {
        let packets = try await base.packets(fixtureId: fixtureId, after: seqNum, limit: limit)
        let hideAfter: Int? = lag.withLock { lag in
            guard let current = lag else { return nil }
            lag = current.reads > 1 ? (current.after, current.reads - 1) : nil
            return current.after
        }
        guard let hideAfter else { return packets }
        lagCount.withLock { $0 += 1 }
        return packets.filter { $0.seqNum <= hideAfter }
    }
}
