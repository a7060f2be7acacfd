import NIOCore
import Synchronization

/// The writing turns of every ``LoopBacklog`` of one event loop: one turn at a time, the loop polling its sockets
/// between two, the backlogs that have work taking turns in order.
///
/// One chain of turns per loop, not per backlog: SwiftNIO runs every task that is due before it polls its sockets
/// again, so two backlogs that each scheduled their own next turn (a fixture's actions and its statistics, two
/// fixtures) would find each other's turn due after every turn and write both passes to the end without a poll.
/// Each backlog that wants another turn goes to the back: round robin.
///
/// The poll between two turns is the usual case, not a guarantee: tasks that became due during a turn (a hop from
/// a Swift task, a closing stream's) run first, and when they take longer than ``gap`` the next turn is due too
/// and runs before the poll.
final class LoopTurns: Sendable, NIOScheduledCallbackHandler {
    /// The next turn is scheduled this far ahead rather than executed: right after a turn the loop usually finds
    /// nothing due, so it polls its sockets (waiting, when none is ready, at most until the turn is due: 5 us plus
    /// the kernel's timer slack), and then runs it.
    static let gap = TimeAmount.microseconds(5)

    let eventLoop: any EventLoop
    private let state: NIOLoopBoundBox<State>

    private struct State {
        /// The backlogs that want a turn, in the order they get it.
        var waiting: [LoopBacklog] = []
        /// Whether the next turn is scheduled.
        var scheduled = false
        /// The loop cancelled a turn (or, on a loop that throws rather than stops, refused one): it is shutting
        /// down, and its connections are closing. Its busy backlogs stay marked busy and are not started again;
        /// what they are given meanwhile is let go with them, when their subscribers leave the hubs.
        var stopped = false
    }

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.state = .makeBoxSendingValue(State(), eventLoop: eventLoop)
    }

    /// On the loop: a backlog that was idle has work. With no turn scheduled it takes one at once.
    func start(_ backlog: LoopBacklog) {
        guard !state.value.stopped else { return }
        state.value.waiting.append(backlog)
        if !state.value.scheduled { next() }
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        state.value.scheduled = false
        next()
    }

    func didCancelScheduledCallback(eventLoop: some EventLoop) {
        state.value.scheduled = false
        state.value.stopped = true
        state.value.waiting.removeAll()
    }

    /// The first waiting backlog takes a turn and goes to the back if it wants another; then the next turn is
    /// scheduled if any backlog is waiting.
    private func next() {
        guard !state.value.stopped, !state.value.waiting.isEmpty else { return }
        let backlog = state.value.waiting.removeFirst()
        if backlog.turn() { state.value.waiting.append(backlog) }
        guard !state.value.waiting.isEmpty else { return }
        do {
            _ = try eventLoop.scheduleCallback(in: Self.gap, handler: self)
            state.value.scheduled = true
        } catch {
            state.value.stopped = true
            state.value.waiting.removeAll()
        }
    }

    /// The turns of each event loop, made when a loop first needs them. One per server (``StreamHub``), shared by
    /// all its hubs; a loop's entry lives as long as the registry.
    final class Registry: Sendable {
        private let turns = Mutex<[ObjectIdentifier: LoopTurns]>([:])

        init() {}

        func of(_ eventLoop: any EventLoop) -> LoopTurns {
            turns.withLock { turns in
                let key = ObjectIdentifier(eventLoop)
                if let existing = turns[key] { return existing }
                let made = LoopTurns(eventLoop: eventLoop)
                turns[key] = made
                return made
            }
        }
    }
}
