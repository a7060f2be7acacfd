import HTTPTypes
import HummingbirdTesting
import Logging
import MatchwireCore
import NIOCore
import ServiceLifecycle
import Synchronization

/// A client of the application running for real on a loopback port: what HummingbirdTesting's `.live` framework
/// gives a Hummingbird `Application`, for Matchwire's own ``Listener`` (that framework can only start Hummingbird's
/// server). Requests go through HummingbirdTesting's `TestClient` on one kept-alive connection.
struct LiveClient: Sendable {
    struct Response: Sendable {
        let head: HTTPResponse
        let body: ByteBuffer
        var status: HTTPResponse.Status { head.status }
        var headers: HTTPFields { head.headerFields }
    }

    let client: TestClient
    /// The port the application listens on.
    let port: Int?

    /// Sends a request and gives its response to `testCallback`.
    @discardableResult func execute<Return>(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
        testCallback: @escaping (Response) async throws -> Return = { $0 }
    ) async throws -> Return {
        var headers = headers
        headers[.connection] = "keep-alive"
        let response = try await client.execute(
            TestClient.Request(uri, method: method, authority: "localhost", headers: headers, body: body))
        return try await testCallback(Response(head: response.head, body: response.body ?? ByteBuffer()))
    }

    /// Runs `application` until it listens (`port` tells when), then `body` with a client of it; then shuts the
    /// application down gracefully and waits for its end. A failure to start is thrown.
    static func run<Value: Sendable>(
        _ application: some Service, port: PortPromise, _ body: @Sendable (LiveClient) async throws -> Value
    ) async throws -> Value {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        // A shutdown that does not end (a connection the listener fails to close) must not hang the run: the
        // application is cancelled after 30 seconds, and a shutdown that took that long fails the test.
        var configuration = ServiceGroupConfiguration(services: [application], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        let group = ServiceGroup(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                do {
                    try await group.run()
                    port.fail(StartFailure())
                } catch {
                    port.fail(error)
                    throw error
                }
            }
            let number = try await port.value
            let client = TestClient(host: "127.0.0.1", port: number, configuration: .init(timeout: .seconds(20)))
            client.connect()
            do {
                let result = try await body(LiveClient(client: client, port: number))
                try await client.shutdown()
                let shutdownStarted = ContinuousClock.now
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                let shutdown = ContinuousClock.now - shutdownStarted
                guard shutdown < .seconds(30) else {
                    throw RuleViolation("the application took \(shutdown) to shut down: a connection stayed open")
                }
                return result
            } catch {
                // The body's error is the one to report, whatever the shutdown then meets.
                try? await client.shutdown()
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    struct StartFailure: Error {}
}

/// The port an application tells once it listens, or the error that stopped it first.
final class PortPromise: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int, any Error>])
        case done(Result<Int, any Error>)
    }

    private let state = Mutex(State.waiting([]))

    func succeed(_ port: Int) { complete(.success(port)) }
    func fail(_ error: any Error) { complete(.failure(error)) }

    /// The first outcome counts.
    private func complete(_ result: Result<Int, any Error>) {
        let waiting: [CheckedContinuation<Int, any Error>] = state.withLock { state in
            guard case .waiting(let waiting) = state else { return [] }
            state = .done(result)
            return waiting
        }
        for continuation in waiting { continuation.resume(with: result) }
    }

    var value: Int {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let done: Result<Int, any Error>? = state.withLock { state in
                    switch state {
                    case .waiting(let waiting):
                        state = .waiting(waiting + [continuation])
                        return nil
                    case .done(let result):
                        return result
                    }
                }
                if let done { continuation.resume(with: done) }
            }
        }
    }
}
