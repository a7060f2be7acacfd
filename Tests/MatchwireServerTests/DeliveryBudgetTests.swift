import Foundation
import MatchwireCore
import MatchwireStore
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import MatchwireServer

/// Budgets of live delivery (issue 19, item 4): what one published packet may cost per subscriber, in heap
/// allocations and in bytes copied, each with a committed threshold, so that a change that makes fan-out dearer
/// fails here rather than in the next benchmark run. The thresholds are the debug build's figures (what `swift
/// test` runs) with a little room; docs/benchmarks.md ("Budgets") says how they were set.
@Suite struct DeliveryBudgetTests {
    /// Heap allocations per handed-over subscriber per published packet: the frame is written as it is (one
    /// `NIOAny` holding a shared buffer), so nothing is allocated per subscriber but the embedded channel's own
    /// record of what was written (its pending write and its outbound queue: 2), which a socket does not keep.
    /// Measured 2.0 (debug build, 2026-12-02); 1.09 since the publish goes through the loop's turns (2026-12-03,
    /// 300 subscribers in three turns): any allocation added per subscriber fails.
    static let allocationsPerSubscriber = 2.0
    /// Heap allocations of one publish with one subscriber, everything included (the frame, the hop to the event
    /// loop, the metrics). Measured 32 (debug build, 2026-12-02).
    static let allocationsPerPublish = 36

    static let fixtureId = UUID()

    static func packet(_ seq: Int) throws -> StreamPacket {
        try StreamPacket(
            stored: StoredPacket(
                fixtureId: fixtureId, seqNum: seq, period: 1, actionId: UUID(), sendType: .confirmed, traceId: "t",
                receivedAt: Timestamp(millisecondsSince1970: 0), submission: [],
                bytes: Array(
                    #"{"finished":false,"fixtureSeqNum":\#(seq),"n":"\#(String(repeating: "x", count: 600))"}"#.utf8)))
    }

    static func double(_ value: JSONValue?) -> Double? {
        if case .number(let number)? = value { return number.double }
        return nil
    }

    /// The probe executable (Tests/DeliveryBudgetProbe) and the interposer it is run with, beside the test bundle.
    static var probe: (executable: URL, interposer: URL)? {
        let folder = ServerProcess.executable.deletingLastPathComponent()
        let executable = folder.appendingPathComponent("matchwire-delivery-budget")
        let interposer = folder.appendingPathComponent("libMallocInterposerSwift.so")
        guard FileManager.default.isExecutableFile(atPath: executable.path),
            FileManager.default.fileExists(atPath: interposer.path)
        else { return nil }
        return (executable, interposer)
    }

    @Test func aPublishAllocatesWithinItsBudgetAndNothingPerSubscriberBeyondIt() async throws {
        let probe = try #require(Self.probe, "the probe and libMallocInterposerSwift.so are built beside the tests")
        let run = try await RunningProgram.run(
            [], executable: probe.executable, environment: ["LD_PRELOAD": probe.interposer.path])
        #expect(run.status == 0, "\(run.errors)")
        let result = try JSONValue.parse(Array(run.output.utf8))
        let perSubscriber = try #require(Self.double(result["perSubscriber"]), "\(run.output)")
        let perPublish = try #require(result["perPublish"]?.intValue)
        // A probe that counted nothing (the interposer not loaded) would pass any budget: a publish allocates.
        #expect(perPublish > 0, "the interposer counted the publish")
        #expect(Self.double(result["framesPerPublish"]) == 1, "each subscriber got the packet's one frame")
        #expect(
            perSubscriber <= Self.allocationsPerSubscriber,
            "\(perSubscriber) allocations per subscriber and packet; the budget is \(Self.allocationsPerSubscriber)")
        #expect(
            perPublish <= Self.allocationsPerPublish,
            "\(perPublish) allocations per publish; the budget is \(Self.allocationsPerPublish)")
    }

    /// Bytes copied per packet: its frame (header and payload) is made once per publish, whatever the number of
    /// subscribers, and every subscriber's connection is given that same buffer: zero bytes copied per subscriber.
    @Test func aPublishCopiesThePacketOnceWhateverTheNumberOfSubscribers() throws {
        let loop = EmbeddedEventLoop()
        let hub = FixtureHub(turns: LoopTurns.Registry())
        var channels: [EmbeddedChannel] = []
        var queues: [AsyncStream<StreamPacket>] = []
        for id in 0..<20 {
            let channel = EmbeddedChannel(handler: WebSocketFrameEncoder(), loop: loop)
            let (queue, continuation) = AsyncStream.makeStream(of: StreamPacket.self, bufferingPolicy: .unbounded)
            queues.append(queue)
            _ = hub.add(id, FixtureHub.Subscriber(packets: continuation, ending: StreamEnding { _ in }, capacity: 100))
            #expect(hub.handOver(id, consumed: 0, next: 1, channel: channel) == .handedOver)
            channels.append(channel)
        }
        let packet = try Self.packet(1)
        #expect(hub.publish([packet]))
        loop.run()
        var storages: Set<UInt> = []
        for channel in channels {
            let written = try #require(try channel.readOutbound(as: ByteBuffer.self), "a frame for each subscriber")
            #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "one buffer: header and payload together")
            // A websocket text frame of this payload: 4 header bytes (FIN|text, 126, 16-bit length), then the packet.
            #expect(written.readableBytes == 4 + packet.bytes.readableBytes)
            #expect(written.getSlice(at: written.readerIndex + 4, length: packet.bytes.readableBytes) == packet.bytes)
            storages.insert(written.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) })
            _ = try channel.finish()
        }
        #expect(storages.count == 1, "every subscriber's frame is the same bytes in memory, not a copy")
        withExtendedLifetime(queues) {}
    }
}
