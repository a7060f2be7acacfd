import ArgumentParser
import Foundation
import Logging
import MatchwireStore

/// `--database PATH | --postgres URL`, shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "SQLite database file (env MATCHWIRE_DATABASE). Default: ./matchwire.sqlite")
    var database: String?

    @Option(
        help: """
            PostgreSQL URL, postgres://user:password@host:5432/database, to share one store between several nodes             (env MATCHWIRE_POSTGRES). Instead of --database.
            """)
    var postgres: String?

    @Option(help: "Seconds a PostgreSQL operation may take before it fails as unavailable. Default: 5")
    var storeTimeout: Double?

    /// The store the options name, not opened yet.
    enum Location {
        case sqlite(path: String)
        case postgres(url: String, timeout: Duration)
    }

    func location() throws -> Location {
        let postgres = try Environment.setting(self.postgres, "postgres", default: "")
        guard !postgres.isEmpty else { return .sqlite(path: try databasePath()) }
        if database != nil {
            throw ValidationError("--database and --postgres name two stores: give one.")
        }
        let seconds = try Environment.setting(storeTimeout, "store-timeout", default: 5.0)
        guard seconds > 0, seconds <= 3600 else {
            throw ValidationError("--store-timeout must be above 0 and at most 3600.")
        }
        return .postgres(url: postgres, timeout: .milliseconds(Int64(seconds * 1000)))
    }

    /// The store, opened: a SQLite file is ready at once; a PostgreSQL store connects when its service runs
    /// (``PostgresEventStore/run()``), which `serve` adds to its service group.
    func open(metrics: StoreMetrics = .disabled, logger: Logger) async throws -> any EventStore {
        switch try location() {
        case .sqlite(let path):
            return try await SQLiteEventStore.open(path: path, metrics: metrics, logger: logger)
        case .postgres(let url, let timeout):
            do {
                return try PostgresEventStore(url: url, operationTimeout: timeout, metrics: metrics, logger: logger)
            } catch let invalid as PostgresLocationError {
                throw ValidationError("--postgres: \(invalid.description)")
            }
        }
    }

    /// The SQLite file in use.
    func databasePath() throws -> String {
        try Environment.setting(database, "database", default: "./matchwire.sqlite")
    }

    /// Opens the store, runs `body` on it and closes it, whether `body` succeeds or throws.
    func withStore<T: Sendable>(_ body: @Sendable (any EventStore) async throws -> T) async throws -> T {
        var logger = Logger(label: "matchwire")
        logger.logLevel = .error
        let store = try await open(logger: logger)
        if let postgres = store as? PostgresEventStore {
            do {
                return try await postgres.whileRunning { try await body($0) }
            } catch let error as StoreError {
                throw CommandFailure(error.description)
            }
        }
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

/// Reads `MATCHWIRE_<OPTION>` environment variables for options not given on the command line.
enum Environment {
    static func setting<T: LosslessStringConvertible>(_ given: T?, _ option: String, default fallback: T) throws -> T {
        if let given { return given }
        let name = "MATCHWIRE_" + option.uppercased().replacingOccurrences(of: "-", with: "_")
        guard let text = ProcessInfo.processInfo.environment[name], !text.isEmpty else { return fallback }
        guard let value = T(text) else {
            throw ValidationError("\(name)='\(text)' is not a valid value for --\(option).")
        }
        return value
    }
}

/// A command that could not do what it was asked, for a reason that is not a usage mistake: printed as
/// `Error: <sentence>`, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
