import ArgumentParser
import Foundation
import Logging
import MatchwireStore

/// `--database PATH | --postgres URL`, shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "SQLite database file (env MATCHWIRE_DATABASE). Default: ./matchwire.sqlite")
    var database: String?

    @Option(help: "PostgreSQL URL, to share one store between several nodes (env MATCHWIRE_POSTGRES).")
    var postgres: String?

    func open(logger: Logger) async throws -> any EventStore {
        let postgres = try Environment.setting(self.postgres, "postgres", default: "")
        guard postgres.isEmpty else {
            throw ValidationError("--postgres is not available in this version: use --database (SQLite).")
        }
        return try await SQLiteEventStore.open(path: try databasePath(), logger: logger)
    }

    /// The SQLite file in use.
    func databasePath() throws -> String {
        try Environment.setting(database, "database", default: "./matchwire.sqlite")
    }

    /// Opens the store, runs `body` on it and closes it, whether `body` succeeds or throws.
    func withStore<T>(_ body: (any EventStore) async throws -> T) async throws -> T {
        let store = try await open(logger: Logger(label: "matchwire"))
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
