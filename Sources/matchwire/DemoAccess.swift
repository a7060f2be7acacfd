import Foundation
import MatchwireCore
import MatchwireServer
import MatchwireStore

/// The demo's admin token: created on the first `serve --demo` and kept beside the database
/// (`matchwire.sqlite.demo-token`), so that later starts can print it again.
struct DemoAccess {
    let token: String
    /// Created by this start: the completed demo fixtures are stored too.
    let isNew: Bool

    static func prepare(store: any EventStore, databasePath: String) async throws -> DemoAccess {
        let file = URL(fileURLWithPath: databasePath + ".demo-token")
        if let saved = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            let record = try await store.token(hash: AccessControl.hash(saved)), !record.revoked
        {
            return DemoAccess(token: saved, isNew: false)
        }
        let name = "demo-\(Timestamp.now.microseconds / 1_000_000)"
        let issued = AccessControl.issue(
            name: name, role: .admin, feeds: Set(Feed.allCases), sports: Set(Sport.allCases), now: .now)
        try await store.insertToken(issued.record)
        try issued.token.write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return DemoAccess(token: issued.token, isNew: true)
    }

    /// What a new user pastes next.
    func banner(host: String, port: Int) -> String {
        let base = "http://\(host):\(port)"
        let accept = "Accept: application/vnd.imggaming.dde.api+json;version=1"
        return """

            Matchwire demo: one live simulated fixture per sport, and completed ones to replay.
            Demo admin token (kept in the database's .demo-token file): \(token)

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

            Sports: v2/tabletennis, soccer, basketball.

            """
    }
}
