import SQLiteNIO
import Synchronization

/// Checkpoints of the SQLite write-ahead log, kept off the commit path.
///
/// By default SQLite checkpoints the log inside the commit that takes it past 1,000 pages (`wal_autocheckpoint`): that
/// commit copies the log's pages into the database file and flushes the file, a stall the append's caller and every
/// subscriber of its packets wait for, about once every 330 appends (measured with the SQLite floor's inserts on this
/// machine's disk: the slowest of ten seconds 259 and 350 ms, p99.9 23-31 ms; with a passive checkpoint beside the
/// writer every 200 ms, 40 and 73 ms, p99.9 5-24 ms). So after every `interval` packets committed a passive checkpoint
/// runs on a connection of its own, in a short task, while commits go on. At the pace of a live feed it copies the
/// whole log before the next commit, which then starts the log again from its beginning: the writer never checkpoints.
/// A writer that never pauses (an import, a burst of ingestion) keeps adding pages while the checkpoint runs, so the
/// log could not be started again and would grow without end: the writer keeps SQLite's automatic checkpoint as a
/// backstop, at ``writerBackstopPages`` (4 times SQLite's default, so rarer, and cheap: most pages are copied already).
/// The commands that write the file (`token`, `fixture`, `import`) open it as this store too, and checkpoint the same
/// way.
final class WALCheckpoints: Sendable {
    /// Packets committed between two checkpoints (a commit of anything else counts one): a page or more each, so a
    /// checkpoint comes near SQLite's own 1,000-page mark whether the packets come one per commit (a live match) or
    /// hundreds per group commit (ingestion under load).
    static let interval = 256
    /// The writer's own automatic checkpoint, in log pages: only reached when the checkpoints here cannot keep up.
    static let writerBackstopPages = 4000

    private struct State {
        var weightSince = 0
        /// Checkpoints that SQLite ran without an error (tests read it).
        var completed = 0
        /// The checkpoint under way, awaited by ``close()``.
        var running: Task<Void, Never>?
        var closed = false
    }

    private let connection: SQLiteConnection
    private let state = Mutex(State())

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Opens the checkpoints' own connection to the database at `path`, and moves the writer's automatic
    /// checkpoint to the backstop.
    static func open(path: String, writer: SQLiteConnection) async throws -> WALCheckpoints {
        _ = try await writer.query("PRAGMA wal_autocheckpoint = \(writerBackstopPages)")
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            // As the writer's: a lock held by another process is waited for with sleeps, at most 10 s.
            _ = try await connection.query("PRAGMA busy_timeout = 10000")
        } catch {
            try? await connection.close()
            throw error
        }
        return WALCheckpoints(connection: connection)
    }

    /// A transaction was committed, of `weight` packets (1 for anything else): every `interval`, a checkpoint
    /// starts unless one is under way.
    func committed(weight: Int = 1) {
        state.withLock { state in
            state.weightSince += max(weight, 1)
            guard !state.closed, state.running == nil, state.weightSince >= Self.interval else { return }
            state.weightSince = 0
            // Short-lived: one statement, awaited by `close()`. A failure (the file busy, say) is left for the next
            // one to catch up.
            state.running = Task { [connection] in
                let ran = (try? await connection.query("PRAGMA wal_checkpoint(PASSIVE)")) != nil
                self.state.withLock { state in
                    state.running = nil
                    if ran { state.completed += 1 }
                }
            }
        }
    }

    /// The checkpoints SQLite ran without an error so far.
    var completed: Int { state.withLock { $0.completed } }

    /// Waits for the checkpoint under way, starts no other, and closes the connection.
    func close() async throws {
        let running = state.withLock { state in
            state.closed = true
            return state.running
        }
        await running?.value
        try await connection.close()
    }
}
