import Foundation
import HTTPTypes
import Logging
import NIOCore
import Synchronization
import WSClient

/// The moments, in nanoseconds from the run's origin, when the publisher started sending action number `index`;
/// filled before each send and read when the subscribers' arrivals are matched.
final class SendTimes: Sendable {
    private let times = Mutex([Int: UInt64]())

    func record(_ index: Int, at nanoseconds: UInt64) { times.withLock { $0[index] = nanoseconds } }
    var all: [Int: UInt64] { times.withLock { $0 } }
}

/// What one subscriber saw: when it was accepted, and when each action arrived.
final class Arrivals: Sendable {
    private struct State {
        var accepted: UInt64?
        var arrivals: [(index: Int, at: UInt64)] = []
    }

    private let state = Mutex(State())

    func accept(at nanoseconds: UInt64) { state.withLock { $0.accepted = nanoseconds } }
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

    static func find(in frame: ByteBuffer) -> Int? {
        let bytes = frame.readableBytesView
        guard let start = bytes.firstRange(of: marker)?.upperBound,
            bytes.distance(from: start, to: bytes.endIndex) >= 12
        else { return nil }
        return Int(String(decoding: bytes[start..<bytes.index(start, offsetBy: 12)], as: UTF8.self), radix: 16)
    }
}

/// One websocket subscriber: connects, authenticates (when `authToken` is given), and records every action that
/// arrives until its task is cancelled.
struct Subscriber {
    let url: String
    let authToken: String?
    let arrivals: Arrivals

    static let accept: HTTPFields = [.accept: "application/vnd.imggaming.dde.api+json;version=1"]

    func run() async throws {
        var logger = Logger(label: "subscriber")
        logger.logLevel = .critical
        try await WebSocketClient.connect(
            url: url, configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: Self.accept, autoPing: .disabled),
            logger: logger
        ) { inbound, outbound, _ in
            if let authToken {
                try await outbound.write(.text(#"{"authToken": "\#(authToken)"}"#))
            } else {
                arrivals.accept(at: RunClock.now)
            }
            for try await frame in inbound {
                guard frame.opcode == .text else { continue }
                let now = RunClock.now
                if let index = ActionNumber.find(in: frame.data) {
                    arrivals.arrive(index, at: now)
                } else if arrivals.accepted == nil,
                    frame.data.readableBytesView.firstRange(of: Array("accepted".utf8)) != nil
                {
                    arrivals.accept(at: now)
                }
            }
        }
    }
}
