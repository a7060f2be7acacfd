import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Logging
import NIOCore
import Synchronization
import NIOPosix

/// The moments, in nanoseconds from the run's origin, when the publisher started sending action number `index`;
/// filled before each send and read when the subscribers' arrivals are matched.
final class SendTimes: Sendable {
    private let times = Mutex([Int: UInt64]())

    func record(_ index: Int, at nanoseconds: UInt64) { times.withLock { $0[index] = nanoseconds } }
    var all: [Int: UInt64] { times.withLock { $0 } }
}

/// Connects subscribers with at most `window` of them connecting at once: each one that settles (is accepted, or
/// fails or closes before) starts the next. The server is kept busy with `window` connects in flight throughout,
/// so that the time to connect them all measures how fast it sets connections up, not the round trips of batches
/// that wait for their slowest member; a subscriber the server never answers takes one place of the window, and
/// holds up nothing else.
final class Launcher: Sendable {
    let total: Int
    private let next = Mutex(0)
    private let settledCount = Atomic(0)
    /// When the last subscriber settled, on ``RunClock``.
    private let lastSettled = Atomic<UInt64>(0)
    private let start: @Sendable (Int) -> Void

    /// `start(number)` connects subscriber `number` and calls ``settled()`` once it settles.
    init(total: Int, start: @escaping @Sendable (Int) -> Void) {
        self.total = total
        self.start = start
    }

    /// Starts the first `window` subscribers.
    func launch(window: Int) {
        for _ in 0..<min(window, total) { startNext() }
    }

    /// A subscriber settled: the next one starts.
    func settled() {
        // The latest, whichever of two settling at once stores last.
        lastSettled.max(RunClock.now, ordering: .relaxed)
        settledCount.add(1, ordering: .relaxed)
        startNext()
    }

    var allSettled: Bool { settledCount.load(ordering: .relaxed) >= total }
    /// When the last subscriber settled (0 before the first).
    var lastSettledAt: UInt64 { lastSettled.load(ordering: .relaxed) }

    private func startNext() {
        let number = next.withLock { next -> Int? in
            guard next < total else { return nil }
            defer { next += 1 }
            return next
        }
        if let number { start(number) }
    }
}

/// What one subscriber saw: when it was accepted, and when each action arrived.
final class Arrivals: Sendable {
    private struct State {
        var accepted: UInt64?
        var settled = false
        var arrivals: [(index: Int, at: UInt64)] = []
    }

    private let state = Mutex(State())
    /// Told once, when the subscriber settles.
    private let onSettle: @Sendable () -> Void

    init(onSettle: @escaping @Sendable () -> Void) { self.onSettle = onSettle }

    func accept(at nanoseconds: UInt64) {
        state.withLock { $0.accepted = nanoseconds }
        settle()
    }

    /// The subscriber is accepted, or will never be (its connect failed, its connection closed): counted once.
    func settle() {
        let first = state.withLock { state in
            defer { state.settled = true }
            return !state.settled
        }
        if first { onSettle() }
    }

    func arrive(_ index: Int, at nanoseconds: UInt64) { state.withLock { $0.arrivals.append((index, nanoseconds)) } }
    var accepted: UInt64? { state.withLock { $0.accepted } }
    var arrivals: [(index: Int, at: UInt64)] { state.withLock { $0.arrivals } }
}

/// The run's clock: nanoseconds since the generator started.
enum RunClock {
    static let origin = ContinuousClock.now

    static var now: UInt64 {
        let start = origin  // initialised before the reading below, so that the difference is never negative
        let elapsed = ContinuousClock.now - start
        return UInt64(elapsed.components.seconds) * 1_000_000_000
            + UInt64(elapsed.components.attoseconds / 1_000_000_000)
    }
}

/// Reads the action number the publisher put in the last 12 hex digits of each action id
/// (`00000000-0000-4000-8000-00000000002a` is action 42), without decoding the packet.
enum ActionNumber {
    static func id(_ index: Int) -> String {
        let hex = String(index, radix: 16)
        return "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
    }

    static let marker = Array(#""actionId":"00000000-0000-4000-8000-"#.utf8)

    /// Found with `memchr` and `memcmp` over the frame's bytes: a generic search over the buffer's view cost the
    /// generator tens of microseconds a frame, more than the servers spend delivering it.
    static func find(in frame: ByteBuffer) -> Int? {
        frame.withUnsafeReadableBytes { bytes -> Int? in
            guard let found = ByteSearch.first(marker, in: bytes) else { return nil }
            let start = found + marker.count
            guard bytes.count - start >= 12 else { return nil }
            var number = 0
            for byte in bytes[start..<(start + 12)] {
                guard let digit = hexValue(byte) else { return nil }
                number = number << 4 | digit
            }
            return number
        }
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        default: nil
        }
    }
}

/// Searches raw bytes with `memchr` and `memcmp`: the generic `firstRange(of:)` over a buffer's view was a fifth of
/// the generator's CPU per connect (the end of the upgrade answer, the auth reply), so it measured itself as much
/// as the servers.
enum ByteSearch {
    /// The offset of the first `pattern` in `bytes`.
    static func first(_ pattern: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress, !pattern.isEmpty, bytes.count >= pattern.count else { return nil }
        return pattern.withUnsafeBytes { wanted -> Int? in
            guard let wantedBase = wanted.baseAddress else { return nil }
            var offset = 0
            while offset <= bytes.count - wanted.count {
                guard let hit = memchr(base + offset, Int32(wanted[0]), bytes.count - wanted.count - offset + 1)
                else { return nil }
                let at = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(hit, wantedBase, wanted.count) == 0 { return at }
                offset = at + 1
            }
            return nil
        }
    }

    /// The offset of the first `pattern` in the buffer's readable bytes.
    static func first(_ pattern: [UInt8], in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { first(pattern, in: $0) }
    }
}

/// One websocket subscriber: connects, upgrades, authenticates (when `authToken` is given), and records every action
/// that arrives until the process ends.
///
/// Written on SwiftNIO's channel directly, a handler that parses the frames as they come and scans each for the
/// action number, with no task per frame: the load generator has one core, like the server, and must read a
/// hundred thousand frames a second without becoming what the benchmark measures. (A first version used
/// swift-websocket's client, an async sequence per connection: at 5,000 subscribers it saturated its core at about
/// 20,000 frames a second, below what both servers deliver, so the fan-out figures measured the client.)
struct Subscriber {
    let host: String
    let port: Int
    let path: String
    let authToken: String?
    let arrivals: Arrivals

    static let accept = "application/vnd.imggaming.dde.api+json;version=1"

    /// Connects; the handler does the rest on the channel's event loop.
    func connect(on group: any EventLoopGroup) -> EventLoopFuture<any Channel> {
        let (host, port, path, authToken, arrivals) = (host, port, path, authToken, arrivals)
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(
                            SubscriberDecoder(authToken: authToken, arrivals: arrivals)))
                }
            }
        // An IP address is connected to as is: `connect(host:port:)` resolves even a literal address (getaddrinfo and
        // happy eyeballs) at every connect, which was a quarter of the generator's CPU per connect.
        let connected =
            if let address = try? SocketAddress(ipAddress: host, port: port) {
                bootstrap.connect(to: address)
            } else {
                bootstrap.connect(host: host, port: port)
            }
        return
            connected
            .map { channel in
                channel.closeFuture.whenComplete { _ in arrivals.settle() }
                channel.writeAndFlush(
                    channel.allocator.buffer(string: Self.upgradeRequest(host: host, port: port, path: path)),
                    promise: nil)
                return channel
            }
    }

    static func upgradeRequest(host: String, port: Int, path: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAccept: \(accept)\r\n\r\n"
    }
}

/// The subscriber's side of one connection once its upgrade request is sent: the answer, the auth message, then the
/// server's frames (unmasked, as servers send them), each text frame scanned for the action number.
final class SubscriberDecoder: ByteToMessageDecoder {
    typealias InboundOut = Never

    private enum Phase {
        case upgrading
        case frames
    }

    private let authToken: String?
    private let arrivals: Arrivals
    private var phase = Phase.upgrading

    init(authToken: String?, arrivals: Arrivals) {
        self.authToken = authToken
        self.arrivals = arrivals
    }

    private static let headerEnd = Array("\r\n\r\n".utf8)
    private static let accepted = Array("accepted".utf8)

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch phase {
        case .upgrading:
            guard let end = ByteSearch.first(Self.headerEnd, in: buffer) else { return .needMoreData }
            let head = buffer.readString(length: end + Self.headerEnd.count) ?? ""
            guard head.hasPrefix("HTTP/1.1 101") else {
                context.close(promise: nil)
                return .needMoreData
            }
            phase = .frames
            if let authToken {
                context.writeAndFlush(
                    NIOAny(
                        Self.maskedTextFrame(#"{"authToken": "\#(authToken)"}"#, allocator: context.channel.allocator)),
                    promise: nil)
            } else {
                arrivals.accept(at: RunClock.now)
            }
            return .continue
        case .frames:
            return readFrame(context: context, buffer: &buffer)
        }
    }

    /// One whole frame off the buffer, or `.needMoreData`.
    private func readFrame(context: ChannelHandlerContext, buffer: inout ByteBuffer) -> DecodingState {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self)
        else { return .needMoreData }
        var header = 2
        var length = Int(second & 0x7f)
        if length == 126 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else {
                return .needMoreData
            }
            length = Int(extended)
            header = 4
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt64.self) else {
                return .needMoreData
            }
            length = Int(extended)
            header = 10
        }
        guard buffer.readableBytes >= header + length else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: header)
        let payload = buffer.readSlice(length: length) ?? ByteBuffer()
        switch first & 0x0f {
        case 0x1:
            let now = RunClock.now
            if let index = ActionNumber.find(in: payload) {
                arrivals.arrive(index, at: now)
            } else if arrivals.accepted == nil, ByteSearch.first(Self.accepted, in: payload) != nil {
                arrivals.accept(at: now)
            }
        case 0x8:
            context.close(promise: nil)
        default:
            break
        }
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        .needMoreData
    }

    /// A client's text frame: final, masked (RFC 6455 requires it of clients).
    static func maskedTextFrame(_ text: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        let payload = Array(text.utf8)
        let mask: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]
        var frame = allocator.buffer(capacity: payload.count + 8)
        frame.writeInteger(UInt8(0x81))
        if payload.count < 126 {
            frame.writeInteger(UInt8(0x80 | payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        }
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        return frame
    }
}
