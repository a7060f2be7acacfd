import Foundation
import Synchronization

/// Wake-ups telling a node that other nodes appended packets to a shared store.
///
/// A wake-up is a hint, never the data: the node reads the packets from the store after the last number it has
/// published. Notifications can be lost (the listening connection broke, the database restarted), so a node
/// also reads on a timer, and the store sends `.everything` each time it starts listening again, since what was
/// sent while it was not listening is gone.
public final class AppendNotifications: Sendable {
    public enum WakeUp: Sendable, Equatable {
        /// These fixtures have new packets.
        case fixtures(Set<UUID>)
        /// Any fixture may have new packets: read them all.
        case everything
    }

    /// The wake-ups, for one reader (the node's cross-node delivery). Only the newest 1,024 are kept: the fixtures
    /// of older ones dropped are read by the next poll, within the poll interval.
    public let wakeUps: AsyncStream<WakeUp>
    private let continuation: AsyncStream<WakeUp>.Continuation
    private let listening = Atomic<Bool>(false)

    public init() {
        (wakeUps, continuation) = AsyncStream.makeStream(of: WakeUp.self, bufferingPolicy: .bufferingNewest(1024))
    }

    /// Whether the store is listening for other nodes' appends now: a readiness check.
    public var isListening: Bool { listening.load(ordering: .relaxed) }

    /// Called by the store: it started listening (and sends `.everything`), or stopped.
    public func setListening(_ value: Bool) {
        listening.store(value, ordering: .relaxed)
        if value { continuation.yield(.everything) }
    }

    public func wake(_ wakeUp: WakeUp) {
        continuation.yield(wakeUp)
    }

    public func finish() {
        continuation.finish()
    }
}
