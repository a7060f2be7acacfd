import Foundation
import Testing

/// The match centre's page model (`Resources/web/model.js`: packets in order, the lifecycle of actions, the clock)
/// has tests of its own in JavaScript (`Tests/web-js`), run here with Node.js so that `swift test` runs them too.
@Suite struct MatchCentreModelTests {
    static let node: String? = ["/usr/bin/node", "/usr/local/bin/node"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static let nodeAvailable: Bool = {
        if node == nil { print("⚠️ SKIPPED: the match centre's model tests need Node.js (apt-get install nodejs).") }
        return node != nil
    }()

    @Test(.enabled(if: nodeAvailable))
    func theModelOfTheMatchPagePassesItsJavaScriptTests() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let run = try await RunningProgram.run(
            ["--test", root.appendingPathComponent("Tests/web-js").path],
            executable: URL(fileURLWithPath: try #require(Self.node)))
        #expect(run.status == 0, "\(run.output)\(run.errors)")
    }
}
