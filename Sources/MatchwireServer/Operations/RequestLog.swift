import Hummingbird
import Logging
import Synchronization

/// One log line per HTTP request, once it is answered: method, route (the router's pattern, such as
/// `/v2/tabletennis/fixtures/{fixtureId}/actions`, so that ids stay out of the field an operator groups by),
/// status, duration in milliseconds and the name of the token that authenticated it. Never the token itself.
/// The same method, route, status and duration are counted in the HTTP metrics (``HTTPMetrics``).
///
/// The token's name is learnt where the token is checked (`AccessControl`), through a task-local box that this
/// middleware puts around the request.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let started = ContinuousClock.now
        let token = RequestToken()
        do {
            let response = try await RequestToken.$current.withValue(token) { try await next(request, context) }
            log(request, context: context, status: response.status.code, started: started, token: token.name)
            return response
        } catch {
            // The error middleware (inside this one) has made an APIError of anything else.
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(request, context: context, status: status, started: started, token: token.name)
            throw error
        }
    }

    private func log(
        _ request: Request, context: Context, status: Int, started: ContinuousClock.Instant, token: String?
    ) {
        let elapsed = ContinuousClock.now - started
        let route = context.endpointPath ?? "NotFound"
        metrics.answered(method: request.method.rawValue, route: route, status: status, duration: elapsed)
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "route": .string(route),
            "status": .stringConvertible(status),
            "durationMs": .string(elapsed.millisecondsText),
        ]
        if let token { metadata["token"] = .string(token) }
        logger.info("request", metadata: metadata)
    }
}

extension Duration {
    /// In milliseconds with three decimals (`12.345`), rounded to the microsecond; a negative duration is 0.000.
    /// Written by hand: `String(format:)` goes through Foundation's formatter, a measurable share of a small
    /// request's CPU.
    var millisecondsText: String {
        let (seconds, attoseconds) = components
        let microseconds = max(0, seconds * 1_000_000 + (attoseconds + 500_000_000_000) / 1_000_000_000_000)
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

/// The name of the token that authenticated the current request, when one did.
final class RequestToken: Sendable {
    @TaskLocal static var current: RequestToken?

    private let value = Mutex<String?>(nil)

    var name: String? { value.withLock { $0 } }

    /// Called where a request's token is checked: the token's name, never its text.
    static func record(_ name: String) {
        current?.value.withLock { $0 = name }
    }
}
