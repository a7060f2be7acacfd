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
        let path = try Environment.setting(database, "database", default: "./matchwire.sqlite")
        return try await SQLiteEventStore.open(path: path, logger: logger)
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
