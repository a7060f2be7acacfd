import Foundation
import Logging
import MatchwireCore
import MatchwireServer
import MatchwireStore
import ServiceLifecycle

/// The demo's tokens: an admin token for the commands it prints, and a read-only consumer token for the match
/// centre's URL (a URL ends up in browser histories and screenshots: it must not carry an admin token). With
/// SQLite they are created on the first `serve --demo` and kept beside the database (`matchwire.sqlite.demo-token`
/// and `.demo-viewer-token`), so that later starts can print them again. A PostgreSQL database has no folder of
/// ours to keep them in (and the database keeps only tokens' hashes): each start issues new ones, and the
/// completed demo fixtures are stored by the first start only (the one that finds no demo token).
struct DemoAccess {
    let token: String
    /// Reads every sport and feed, nothing more.
    let viewerToken: String
    /// Created by this start: the completed demo fixtures are stored too.
    let isNew: Bool
    /// Kept in the `.demo-token` file beside the database.
    var keptInFile = true

    static func prepare(store: any EventStore, tokenFile: URL?) async throws -> DemoAccess {
        let seeded = tokenFile == nil ? try await store.tokens().contains { $0.name.hasPrefix("demo-") } : false
        let admin = try await token(store: store, file: tokenFile, role: .admin, name: "demo")
        let viewerFile = tokenFile?.deletingPathExtension().appendingPathExtension("demo-viewer-token")
        let viewer = try await token(store: store, file: viewerFile, role: .consumer, name: "demo-viewer")
        return DemoAccess(
            token: admin.token, viewerToken: viewer.token, isNew: admin.isNew && !seeded, keptInFile: tokenFile != nil)
    }

    /// The token kept in `file` when it is still valid, otherwise a new one (written to `file`).
    private static func token(
        store: any EventStore, file: URL?, role: Role, name: String
    ) async throws -> (token: String, isNew: Bool) {
        if let file,
            let saved = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            let record = try await store.token(hash: AccessControl.hash(saved)), !record.revoked
        {
            return (saved, false)
        }
        let issued = AccessControl.issue(
            name: "\(name)-\(Timestamp.now.microseconds)", role: role, feeds: Set(Feed.allCases),
            sports: Set(Sport.allCases), now: .now)
        try await store.insertToken(issued.record)
        if let file {
            try issued.token.write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        }
        return (issued.token, true)
    }

    /// What a new user pastes next.
    func banner(host: String, port: Int) -> String {
        let base = "http://\(host):\(port)"
        let accept = "Accept: application/vnd.imggaming.dde.api+json;version=1"
        return """

            Matchwire demo: one live simulated fixture per sport, and completed ones to replay.
            Demo admin token (\(keptInFile ? "kept in the database's .demo-token file" : "new at each start of a node on PostgreSQL")): \(token)

              export TOKEN=\(token)
              # Fixtures of a sport (live ones have "status": "Live"):
              curl -s -H "Authorization: Bearer $TOKEN" -H "\(accept)" \(base)/soccer/fixtures
              # Every packet of a fixture so far:
              curl -s -H "Authorization: Bearer $TOKEN" -H "\(accept)" \(base)/soccer/fixtures/FIXTURE_ID/actions
              # The live stream (any websocket client; send the token as the first message):
              websocat -H "\(accept)" ws://\(host):\(port)/soccer/fixtures/FIXTURE_ID/actions
              {"authToken": "$TOKEN"}
              # The same stream as a live scoreboard:
              matchwire tail soccer FIXTURE_ID --server \(base) --token $TOKEN

            Sports: \(Sport.allCases.map(\.pathSegment).joined(separator: ", ")).

            Match centre (read-only viewer token in the URL fragment, which the browser never sends):

              \(base)/#token=\(viewerToken)

            """
    }
}

/// `serve --demo` once the store runs: prepares the demo's access (unless done before the start, as with SQLite,
/// whose token file is there when the server listens), prints the banner once the server listens, then plays the
/// demo matches. A service, so that on PostgreSQL it runs after the store's own service has connected (the store
/// is first in the group).
struct DemoStart: Service {
    let prepared: DemoAccess?
    let store: any EventStore
    let writers: FixtureWriters
    let tokenFile: URL?
    let speed: Double
    let host: String
    let listening: ListeningPort
    let logger: Logger

    func run() async throws {
        let access: DemoAccess
        if let prepared {
            access = prepared
        } else {
            access = try await DemoAccess.prepare(store: store, tokenFile: tokenFile)
        }
        guard let port = await listening.port() else { return }
        print(access.banner(host: host, port: port))
        try await DemoService(
            store: store, writers: writers, speed: speed, seedCompleted: access.isNew, logger: logger
        ).run()
    }
}

/// The port the server listens on, once it does.
final class ListeningPort: Sendable {
    private let stream: AsyncStream<Int>
    private let continuation: AsyncStream<Int>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))
    }

    func listening(on port: Int) {
        continuation.yield(port)
        continuation.finish()
    }

    /// The port; nil when the wait was cancelled.
    func port() async -> Int? {
        for await port in stream { return port }
        return nil
    }
}
