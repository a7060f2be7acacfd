// Counts the heap allocations of live delivery, for DeliveryBudgetTests: run with the malloc interposer preloaded
// (LD_PRELOAD of libMallocInterposerSwift.so), it prints one JSON object,
// {"perPublish": A, "perSubscriber": S, "framesPerPublish": F}. With the argument `upgrade`, those of one stream
// upgrade instead, for ConnectBudgetTests: {"perUpgrade": U, "answered": true} (see `measureUpgrade`).
//
// The delivery measured is the hub's own (`FixtureHub.publish` to handed-over streams, `DirectDelivery`), on
// connections made of SwiftNIO's websocket frame encoder on embedded channels of one embedded event loop, all on
// this thread: a publish is made and delivered to 1, then to 1 + `extra` subscribers, and the allocations between
// the start of the publish and the end of its writes (every turn) are counted. `perSubscriber` is the difference
// over `extra`, `perPublish` what one subscriber costs in all. A warm-up publish first, so that what is made once (the
// pipeline's context lookup, the channels' buffers) is not counted. The embedded channel's own bookkeeping of what
// is written (a real socket has none) is part of the count: the budget is an upper bound.
import Foundation
import Logging
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

/// Runs the loop through every turn of a publish to `subscribers` (``LoopBacklog``: a turn of
/// `deliveriesPerTurn` subscribers, the next one scheduled `LoopTurns.gap` later).
func writeEverything(on loop: EmbeddedEventLoop, subscribers: Int) {
    loop.run()
    for _ in 0...(subscribers / LoopBacklog.deliveriesPerTurn) { loop.advanceTime(by: LoopTurns.gap) }
}

/// Allocations of one measured publish to `subscribers` handed-over streams, and the frames each received.
func measure(subscribers: Int) throws -> (allocations: Int, frames: Int) {
    let loop = EmbeddedEventLoop()
    let hub = FixtureHub(turns: LoopTurns.Registry())
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
    writeEverything(on: loop, subscribers: subscribers)
    for channel in channels { while try channel.readOutbound(as: ByteBuffer.self) != nil {} }

    MallocInterposerSwift.initialize()
    MallocInterposerSwift.hook()
    _ = hub.publish([measured])
    writeEverything(on: loop, subscribers: subscribers)
    MallocInterposerSwift.unhook()
    let allocations = MallocInterposerSwift.getStatistics().mallocCount

    var frames = 0
    for channel in channels { while try channel.readOutbound(as: ByteBuffer.self) != nil { frames += 1 } }
    for channel in channels { _ = try channel.finish() }
    withExtendedLifetime(queues) {}
    return (allocations, frames)
}

/// Allocations of one stream upgrade, from the upgrade request's bytes to the stream's handlers in place and its
/// 101 written: the handlers `StreamServerChannel` sets up, `StreamUpgradeHandler`'s checks and switch,
/// `StreamConnection` added to the hub. On an embedded channel of an embedded loop, with the fixture kept by the
/// store (the usual connect of a fan-out, decided on the event loop); a warm-up connect first. Not counted: the
/// accept (SwiftNIO's socket channel, Hummingbird's task per connection) and the auth exchange, which runs in tasks.
func measureUpgrade() async throws -> (allocations: Int, answered: Bool) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "matchwire-probe-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try await SQLiteEventStore.open(path: directory.appendingPathComponent("probe.sqlite").path)
    let fixture = Fixture(
        id: UUID(), sport: .tableTennis, startDate: Timestamp(millisecondsSince1970: 0),
        teams: [TeamRef(id: UUID(), name: "A", homeTeam: true), TeamRef(id: UUID(), name: "B", homeTeam: false)],
        rules: TableTennisRules(bestOf: 3).rulesObject)
    try await store.insertFixture(fixture)
    _ = try await store.fixture(id: fixture.id)  // now kept
    var logger = Logger(label: "probe")
    logger.logLevel = .critical
    let configuration = ServerConfiguration()
    let endpoint = StreamEndpoint(
        configuration: configuration, store: store,
        access: AccessControl(store: store, rateLimit: 1000, rateBurst: 1000), hub: StreamHub(logger: logger))
    let server = StreamServerChannel(
        responder: { _, _, _ in }, streams: endpoint, connections: ConnectionLimit(limit: 1000),
        limits: configuration.connectionLimits)
    let measured = try countUpgrade(server: server, fixtureId: fixture.id, logger: logger)
    try await store.close()
    return measured
}

/// The embedded part of ``measureUpgrade()``: synchronous, so that the embedded loop is only used from the thread
/// that made it (an async function may move between threads at each `await`).
func countUpgrade(server: StreamServerChannel, fixtureId: UUID, logger: Logger) throws -> (
    allocations: Int, answered: Bool
) {
    let request = ByteBuffer(
        string: "GET /v2/tabletennis/fixtures/\(fixtureId.wire)/actions HTTP/1.1\r\nHost: probe\r\n"
            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\nAccept: application/json\r\n\r\n")
    let loop = EmbeddedEventLoop()

    /// One connect up to the switch; whether its answer was the 101.
    func upgrade(_ channel: EmbeddedChannel) throws -> Bool {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        _ = try server.setup(channel: channel, logger: logger).wait()
        try channel.writeInbound(request)
        loop.run()
        guard let answer = try channel.readOutbound(as: ByteBuffer.self) else { return false }
        return String(buffer: answer).hasPrefix("HTTP/1.1 101 ")
    }

    let warmUp = EmbeddedChannel(loop: loop)
    guard try upgrade(warmUp) else { return (0, false) }
    let measured = EmbeddedChannel(loop: loop)
    MallocInterposerSwift.initialize()
    MallocInterposerSwift.hook()
    let answered = try upgrade(measured)
    MallocInterposerSwift.unhook()
    let allocations = MallocInterposerSwift.getStatistics().mallocCount
    _ = try? warmUp.finish()
    _ = try? measured.finish()
    return (allocations, answered)
}

if CommandLine.arguments.dropFirst().first == "upgrade" {
    let upgrade = try await measureUpgrade()
    print(#"{"perUpgrade": \#(upgrade.allocations), "answered": \#(upgrade.answered)}"#)
} else {
    // More than two turns' worth (``LoopBacklog/deliveriesPerTurn``), so that the turns' own cost is counted.
    let extra = 300
    let one = try measure(subscribers: 1)
    let many = try measure(subscribers: 1 + extra)
    let perSubscriber = Double(many.allocations - one.allocations) / Double(extra)
    print(
        #"{"perPublish": \#(one.allocations), "perSubscriber": \#(perSubscriber), "framesPerPublish": \#(Double(many.frames) / Double(1 + extra))}"#
    )
}
