import Foundation
import PostgresNIO

/// A database named by a URL: `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
/// A host that starts with `/`, given as `?host=/path`, is the folder of a Unix socket.
struct PostgresLocation: Sendable {
    typealias Invalid = PostgresLocationError
    enum TLSMode: String, Sendable { case disable, prefer, require }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var tls: TLSMode

    init(url: String) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme)
        else {
            throw Invalid(
                description:
                    "The PostgreSQL URL must look like postgres://user:password@host:5432/database.")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        guard let host = query["host"] ?? components.host, !host.isEmpty else {
            throw Invalid(description: "The PostgreSQL URL names no host: postgres://user@host:5432/database.")
        }
        guard let username = components.user, !username.isEmpty else {
            throw Invalid(description: "The PostgreSQL URL names no user: postgres://user@\(host)/database.")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw Invalid(description: "The PostgreSQL URL names no database: postgres://\(username)@\(host)/database.")
        }
        let mode = query["sslmode"] ?? "prefer"
        guard let tls = TLSMode(rawValue: mode) else {
            throw Invalid(description: "sslmode must be disable, prefer or require, not \(mode).")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password
        self.database = database
        self.tls = tls
    }

    /// `host:port/database`, for the log: never the password.
    var displayName: String { host.hasPrefix("/") ? "\(host)/\(database)" : "\(host):\(port)/\(database)" }

    private func sslContext() -> NIOSSLContext? {
        try? NIOSSLContext(configuration: .makeClientConfiguration())
    }

    var clientConfiguration: PostgresClient.Configuration {
        if host.hasPrefix("/") {
            return PostgresClient.Configuration(
                unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        }
        let tls: PostgresClient.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        return PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    /// The listening connection's configuration, named `matchwire-listener` in `pg_stat_activity`. With
    /// `sslmode=require`, TLS that cannot be set up is an error, never a plaintext connection.
    func listenerConfiguration(timeout: Duration) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if host.hasPrefix("/") {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch self.tls {
            case .disable: tls = .disable
            case .prefer: tls = sslContext().map { .prefer($0) } ?? .disable
            case .require:
                guard let context = sslContext() else {
                    throw PostgresLocationError(description: "TLS could not be set up for sslmode=require.")
                }
                tls = .require(context)
            }
            configuration = PostgresConnection.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.additionalStartupParameters = [("application_name", "matchwire-listener")]
        configuration.options.connectTimeout = .seconds(Int64(timeout.components.seconds))
        return configuration
    }
}

/// A PostgreSQL URL that cannot be used, in a sentence that never repeats the password.
public struct PostgresLocationError: Error, CustomStringConvertible {
    public let description: String
}
