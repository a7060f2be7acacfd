import Foundation
import HTTPTypes
import MatchwireCore
import MatchwireServer
import MatchwireStore
import Testing

/// Liveness and readiness for load balancers (issue 15, item 1).
@Suite struct HealthTests {
    @Test func healthAnswers200WithoutATokenAndWithoutTheStore() async throws {
        try await TestServer.start(serving: { FailingReads($0) }) { server, client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            #expect(health.json["status"] == .string("ok"))
            let head = try await client.execute(uri: "/health", method: .head)
            #expect(head.status == .ok)
        }
    }

    @Test func readyAnswers200WhenTheStoreAnswersAndTheServerIsNotStopping() async throws {
        try await TestServer.start { server, client in
            let ready = try await client.execute(uri: "/ready", method: .get)
            #expect(ready.status == .ok)
            #expect(ready.json["ready"] == .bool(true))
            #expect(ready.json["checks"]?["store"] == .string("ok"))
            #expect(ready.json["checks"]?["shutdown"] == .string("ok"))
        }
    }

    @Test func readyAnswers503NamingTheStoreWhenItDoesNotAnswer() async throws {
        try await TestServer.start(serving: { FailingReads($0) }) { server, client in
            let ready = try await client.execute(uri: "/ready", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.json["ready"] == .bool(false))
            #expect(ready.json["checks"]?["store"] == .string("The store did not answer a read."))
            #expect(ready.json["checks"]?["shutdown"] == .string("ok"))
            #expect(ready.errorMessage == "Not ready: store: The store did not answer a read.")
            #expect(!ready.errorMessage.contains("Injected"), "no store text reaches a client")
        }
    }

    @Test func readyAnswers503OnceTheServerIsShuttingDown() async throws {
        try await TestServer.start { server, client in
            server.readiness.markShuttingDown()
            let ready = try await client.execute(uri: "/ready", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.json["checks"]?["shutdown"] == .string("The server is shutting down."))
            #expect(ready.json["checks"]?["store"] == .string("ok"))
        }
    }
}

/// A store whose fixture reads fail, as a store that cannot be reached.
final class FailingReads: ForwardingStore, @unchecked Sendable {
    struct Injected: Error {}

    override func fixture(id: UUID) async throws -> Fixture? { throw Injected() }
    /// Nothing kept either: every fixture is read, and fails.
    override func keptFixture(id: UUID) -> Fixture? { nil }
}
