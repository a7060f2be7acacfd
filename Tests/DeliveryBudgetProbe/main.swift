// Counts the heap allocations of live delivery, for DeliveryBudgetTests: run with the malloc interposer preloaded
// (LD_PRELOAD of libMallocInterposerSwift.so), it prints one JSON object,
// {"perPublish": A, "perSubscriber": S, "framesPerPublish": F}.
//
// The delivery measured is the hub's own (`FixtureHub.publish` to handed-over streams, `DirectDelivery`), on
// connections made of SwiftNIO's websocket frame encoder on embedded channels of one embedded event loop, all on
// this thread: a publish is made and delivered to 1, then to 1 + `extra` subscribers, and the allocations between
// the start of the publish and the end of its writes are counted. `perSubscriber` is the difference over `extra`,
// `perPublish` what one subscriber costs in all. A warm-up publish first, so that what is made once (the
// pipeline's context lookup, the channels' buffers) is not counted. The embedded channel's own bookkeeping of what
// is written (a real socket has none) is part of the count: the budget is an upper bound.
import Foundation
import MallocInterposerSwift
@testable import MatchwireServer
import MatchwireStore
import MatchwireCore
import NIOCore
import NIOEmbedded
import NIOWebSocket

let fixtureId = UUID()

func packet(_ seq: Int) throws -> StreamPacket {
    try StreamPacket(
        stored: StoredPacket(
            fixtureId: fixtureId, seqNum: seq, period: 1, actionId: UUID(), sendType: .confirmed, traceId: "t",
            receivedAt: Timestamp(millisecondsSince1970: 0), submission: [],
            bytes: Array(
                #"{"finished":false,"fixtureSeqNum":\#(seq),"padding":"\#(String(repeating: "x", count: 600))"}"#.utf8))
    )
}

/// Allocations of one measured publish to `subscribers` handed-over streams, and the frames each received.
func measure(subscribers: Int) throws -> (allocations: Int, frames: Int) {
    let loop = EmbeddedEventLoop()
    let hub = FixtureHub()
    var channels: [EmbeddedChannel] = []
    var queues: [AsyncStream<StreamPacket>] = []
    for id in 0..<subscribers {
        let channel = EmbeddedChannel(handler: WebSocketFrameEncoder(), loop: loop)
        let (queue, continuation) = AsyncStream.makeStream(of: StreamPacket.self, bufferingPolicy: .unbounded)
        queues.append(queue)
        _ = hub.add(id, FixtureHub.Subscriber(packets: continuation, ending: StreamEnding { _ in }, capacity: 100))
        guard hub.handOver(id, consumed: 0, next: 1, channel: channel) == .handedOver else {
            throw CocoaError(.featureUnsupported)
        }
        channels.append(channel)
    }
    let warmUp = try packet(1)
    let measured = try packet(2)
    _ = hub.publish([warmUp])
    loop.run()
    for channel in channels { while try channel.readOutbound(as: ByteBuffer.self) != nil {} }

    MallocInterposerSwift.initialize()
    MallocInterposerSwift.hook()
    _ = hub.publish([measured])
    loop.run()
    MallocInterposerSwift.unhook()
    let allocations = MallocInterposerSwift.getStatistics().mallocCount

    var frames = 0
    for channel in channels { while try channel.readOutbound(as: ByteBuffer.self) != nil { frames += 1 } }
    for channel in channels { _ = try channel.finish() }
    withExtendedLifetime(queues) {}
    return (allocations, frames)
}

let extra = 100
let one = try measure(subscribers: 1)
let many = try measure(subscribers: 1 + extra)
let perSubscriber = Double(many.allocations - one.allocations) / Double(extra)
print(
    #"{"perPublish": \#(one.allocations), "perSubscriber": \#(perSubscriber), "framesPerPublish": \#(Double(many.frames) / Double(1 + extra))}"#
)
