import NIOCore

/// A connection's timeout as a value: when it is due, and which of the event loop's wake-ups checks it.
///
/// Why not one NIO `Scheduled` task per timeout, cancelled when the timeout moves: SwiftNIO keeps an event loop's
/// scheduled tasks in one heap, and a cancel searches the whole heap for its task (`Heap.removeFirst(where:)`).
/// With thousands of connections, each holding a timer, every cancel scanned all of them: in the profile of
/// 10,000 stream connects, the HTTP guard's cancels (at each request part and at the upgrade) and the auth
/// timeout's were 8% of the server's CPU, and the share grows with the connections held.
///
/// A `ConnectionTimeout` is never cancelled. It keeps at most one wake-up scheduled, no further ahead than `step`.
/// Arming it later than its wake-up, or disarming it, only changes the value; the wake-up, when it comes, fires
/// the timeout (its deadline has come), asks for the next wake-up (the deadline moved on), or does nothing
/// (disarmed, or an older wake-up than the current one). So a deadline armed at least `step` ahead never needs a
/// second wake-up scheduled beside the first: the one scheduled comes first. A deadline more than `step` ahead is
/// reached in as many wake-ups as steps fit in it (the HTTP guard's 60 s idle timeout in six of 10 s): a wake-up
/// is cheap, a cancel is not. The price: a disarmed timeout's last wake-up still runs, once, at most `step` later
/// (it holds its owner weakly: a handler removed meanwhile is freed, and the wake-up finds nothing).
struct ConnectionTimeout: Sendable {
    /// A wake-up to schedule: at `deadline`, call ``wokeUp(_:now:)`` with `number`.
    struct WakeUp: Equatable, Sendable {
        let deadline: NIODeadline
        let number: Int
    }

    enum Outcome: Equatable, Sendable {
        /// The deadline has come: the owner acts on its timeout (the timeout is disarmed).
        case timedOut
        /// The deadline moved on: schedule this wake-up.
        case schedule(WakeUp)
        /// Disarmed, or a wake-up that was replaced: nothing to do.
        case nothing
    }

    /// The furthest ahead a wake-up is scheduled. A timeout armed while a wake-up is pending should be at least
    /// this long, so that the pending wake-up comes first (otherwise a second one is scheduled beside it, and the
    /// first does nothing when it comes); the first arm, with nothing pending, may be of any length.
    let step: TimeAmount
    /// When the timeout fires; nil when disarmed.
    private(set) var deadline: NIODeadline?
    private var scheduled: WakeUp?
    private var wakeUps = 0

    /// The smallest step: a configuration of zero (or less) still gets wake-ups that move on.
    static let minimumStep = TimeAmount.milliseconds(1)

    /// A timeout whose wake-ups are at most `step` apart (``minimumStep`` at least).
    init(step: TimeAmount) {
        self.step = max(step, Self.minimumStep)
    }

    /// Arms the timeout for `deadline`. Returns the wake-up to schedule, or nil when the one scheduled comes
    /// first (it moves on to the deadline then).
    mutating func arm(at deadline: NIODeadline, now: NIODeadline) -> WakeUp? {
        self.deadline = deadline
        if let scheduled, scheduled.deadline <= deadline { return nil }
        return schedule(towards: deadline, now: now)
    }

    /// Disarms the timeout; its wake-up will find nothing to do.
    mutating func disarm() {
        deadline = nil
    }

    /// What wake-up `number`, running at `now`, does.
    mutating func wokeUp(_ number: Int, now: NIODeadline) -> Outcome {
        guard scheduled?.number == number else { return .nothing }
        scheduled = nil
        guard let deadline else { return .nothing }
        guard deadline > now else {
            self.deadline = nil
            return .timedOut
        }
        return .schedule(schedule(towards: deadline, now: now))
    }

    private mutating func schedule(towards deadline: NIODeadline, now: NIODeadline) -> WakeUp {
        wakeUps += 1
        let wakeUp = WakeUp(deadline: min(deadline, now + step), number: wakeUps)
        scheduled = wakeUp
        return wakeUp
    }
}

extension ConnectionTimeout {
    /// Schedules `wakeUp` (if any) on `eventLoop` for the timeout at `keyPath` of `owner` (held weakly): at the
    /// wake-up, `timedOut` is called when the deadline has come, and the next wake-up is scheduled when it moved
    /// on. Called on the event loop.
    static func schedule<Owner: AnyObject>(
        _ wakeUp: WakeUp?, on eventLoop: any EventLoop, for owner: Owner,
        _ keyPath: ReferenceWritableKeyPath<Owner, ConnectionTimeout>, timedOut: @escaping (Owner) -> Void
    ) {
        guard let wakeUp else { return }
        eventLoop.assumeIsolated().scheduleTask(deadline: wakeUp.deadline) { [weak owner] in
            guard let owner else { return }
            switch owner[keyPath: keyPath].wokeUp(wakeUp.number, now: eventLoop.now) {
            case .timedOut: timedOut(owner)
            case .schedule(let next): schedule(next, on: eventLoop, for: owner, keyPath, timedOut: timedOut)
            case .nothing: break
            }
        }
    }
}
