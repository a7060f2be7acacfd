import Logging
import SQLiteNIO
import Synchronization

/// The read connections of an SQLite file, each running one statement at a time.
///
/// Why not one shared reader: SQLite gives a connection one read transaction at a time, and statements that
/// overlap on one connection (sqlite-nio runs each on a thread of its pool) share the snapshot of the first. A
/// read that starts after a commit, while an older read is still stepping on the same connection, then does not
/// see that commit. A stream that reads the backlog of packets the hub already published (so committed) would
/// find them missing and skip them. Here a statement always has its connection to itself, so it begins its own
/// read transaction and sees every commit that came before it.
final class SQLiteReaders: Sendable {
    /// How many statements may read at once. SQLite's WAL lets them all run beside the writer.
    static let count = 4

    private struct State {
        var idle: [SQLiteConnection]
        var waiting: [CheckedContinuation<SQLiteConnection, Never>] = []
    }

    private let all: [SQLiteConnection]
    private let state: Mutex<State>

    private init(_ connections: [SQLiteConnection]) {
        all = connections
        state = Mutex(State(idle: connections))
    }

    static func open(path: String, logger: Logger) async throws -> SQLiteReaders {
        var connections: [SQLiteConnection] = []
        do {
            for _ in 0..<count {
                let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                connections.append(connection)
                _ = try await connection.query("PRAGMA busy_timeout = 10000")
            }
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
        return SQLiteReaders(connections)
    }

    /// Runs one statement on a connection of its own.
    func query(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await withConnection { try await $0.query(sql, binds) }
    }

    /// Runs `body` with a connection no other statement uses meanwhile. `body` should run one statement: two in
    /// a row may see different commits.
    func withConnection<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        let connection = await checkOut()
        defer { checkIn(connection) }
        return try await body(connection)
    }

    private func checkOut() async -> SQLiteConnection {
        if let connection = state.withLock({ $0.idle.popLast() }) { return connection }
        return await withCheckedContinuation { continuation in
            let connection: SQLiteConnection? = state.withLock { state in
                if let connection = state.idle.popLast() { return connection }
                state.waiting.append(continuation)
                return nil
            }
            if let connection { continuation.resume(returning: connection) }
        }
    }

    private func checkIn(_ connection: SQLiteConnection) {
        let waiter: CheckedContinuation<SQLiteConnection, Never>? = state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.idle.append(connection)
                return nil
            }
            return state.waiting.removeFirst()
        }
        waiter?.resume(returning: connection)
    }

    /// Closes every connection, each even when another fails; the first failure is thrown.
    func close() async throws {
        var failure: (any Error)?
        for connection in all {
            do {
                try await connection.close()
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }
}
