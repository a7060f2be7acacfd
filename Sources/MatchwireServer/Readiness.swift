import Foundation
import Hummingbird
import MatchwireCore
import MatchwireStore
import Synchronization

/// Liveness and readiness, for load balancers and orchestrators.
///
/// `GET /health` answers 200 while the process serves HTTP: no token, no store access, so that a slow store never
/// makes a healthy process look dead. `GET /ready` answers 200 only when the node should get new clients: the
/// store answers a read within `storeCheckTimeout` (its schema was brought up to date when it opened, or the
/// server would not be running) and the node is not shutting down; otherwise 503 with every check and what
/// failed. The shutdown is marked before the streams are closed, so a load balancer polling `/ready` stops sending
/// new clients to a node that is about to close its streams with 1001.
public final class Readiness: Sendable {
    /// The longest a readiness check waits for the store.
    static let storeCheckTimeout = Duration.seconds(2)

    private let shuttingDown = Atomic<Bool>(false)

    public init() {}

    /// From now on `/ready` answers 503.
    public func markShuttingDown() {
        shuttingDown.store(true, ordering: .relaxed)
    }

    var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }

    /// The checks, in a fixed order: nil when passed, else why not.
    func failures(store: any EventStore) async -> [(check: String, problem: String?)] {
        let shutdown = isShuttingDown ? "The server is shutting down." : nil
        let storeProblem: String?
        do {
            try await Self.within(Self.storeCheckTimeout) { _ = try await store.fixture(id: UUID()) }
            storeProblem = nil
        } catch is ReadinessTimeout {
            storeProblem = "The store did not answer within \(Self.storeCheckTimeout.components.seconds) seconds."
        } catch {
            // The store's own error text stays in the log: a probe gets a sentence of ours.
            storeProblem = "The store did not answer a read."
        }
        var checks: [(check: String, problem: String?)] = [("store", storeProblem)]
        if let notifications = store.appendNotifications {
            // A node that does not hear other nodes' appends still delivers them, a poll interval late: it is not
            // ready for new clients until it hears them again.
            checks.append(
                ("listener", notifications.isListening ? nil : "The node is not listening for other nodes' actions."))
        }
        checks.append(("shutdown", shutdown))
        return checks
    }

    /// `{"ready": true|false, "checks": {"store": "ok"|sentence, "shutdown": "ok"|sentence}}`, plus an
    /// `errorMessage` naming the failed checks when not ready, like every error answer.
    func response(store: any EventStore) async -> Response {
        let checks = await failures(store: store)
        let failed = checks.filter { $0.problem != nil }
        var writer = JSONWriter(reservingCapacity: 256)
        writer.beginObject()
        writer.key("ready")
        writer.bool(failed.isEmpty)
        writer.key("checks")
        writer.beginObject()
        for (check, problem) in checks {
            writer.key(check)
            writer.string(problem ?? "ok")
        }
        writer.endObject()
        if !failed.isEmpty {
            writer.key("errorMessage")
            writer.string(
                "Not ready: " + failed.map { "\($0.check): \($0.problem ?? "")" }.joined(separator: " "))
        }
        writer.endObject()
        return Response(
            status: failed.isEmpty ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    private struct ReadinessTimeout: Error {}

    private static func within(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw ReadinessTimeout()
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}
