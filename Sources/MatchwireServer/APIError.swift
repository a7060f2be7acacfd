import Hummingbird
import Logging
import MatchwireCore
import MatchwireStore
import NIOCore
import NIOHTTP1

/// Every error answer of the service: a status and a sentence, sent as `{"errorMessage": "..."}`.
///
/// Handlers throw these; `ErrorMiddleware` turns anything else that escapes (routing misses, oversized bodies,
/// store conflicts, bugs) into one of them, so this is the one place that decides status codes.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: body))
    }

    /// `{"errorMessage": "..."}`.
    var body: ByteBuffer { Self.body(message) }

    /// `{"errorMessage": message}`: the body of every error answer, including those written below the router.
    static func body(_ message: String) -> ByteBuffer {
        var writer = JSONWriter(reservingCapacity: 128)
        writer.beginObject()
        writer.key("errorMessage")
        writer.string(message)
        writer.endObject()
        return ByteBuffer(bytes: writer.bytes)
    }

    /// 401, with the challenge RFC 9110 §11.6.1 requires of every 401: a bearer token (RFC 6750 §3).
    static let invalidAuthentication = APIError(
        .unauthorized, "The supplied authentication is invalid",
        headers: [.wwwAuthenticate: #"Bearer realm="matchwire""#])
    static let missingAccept = APIError(.badRequest, "Request is missing required HTTP header 'Accept'")

    /// 404 for a fixture id of a path that is not a stored fixture of `sport` (of any sport when nil).
    static func unknownFixture(_ id: String, in sport: Sport?) -> APIError {
        APIError(.notFound, "Fixture \(id) does not exist\(sport.map { " in \($0.rawValue)" } ?? "").")
    }

    /// The answer for an error that is not an `APIError`.
    static func from(_ error: any Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPParserError:
            // A body the parser refused half way (a bad chunk size): the connection guard closes it after this.
            let refusal = Refusal(parserError: error)
            return APIError(HTTPResponse.Status(code: Int(refusal.status.code)), refusal.message)
        case is CancellationError:
            // The shutdown ran out of time while this request was in flight (its body never came, say).
            return APIError(
                .serviceUnavailable,
                "The server is shutting down: send the request again, to another node if there is one.",
                headers: [.retryAfter: "1"])
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, "The request body is larger than the limit of 1 MiB.")
        case let error as HTTPError where error.status == .notFound:
            return APIError(.notFound, "No such resource.")
        case let error as HTTPError:
            return APIError(error.status, error.body ?? error.status.reasonPhrase)
        case let error as IndexedRuleViolation:
            return APIError(.unprocessableContent, error.description)
        case let error as RuleViolation:
            return APIError(.unprocessableContent, error.message)
        case StoreError.duplicate:
            return APIError(.conflict, String(describing: error))
        case StoreError.unknownFixture:
            return APIError(.notFound, String(describing: error))
        case StoreError.sequenceConflict, StoreError.fixtureChanged:
            return APIError(
                .serviceUnavailable, "Other writers kept storing actions for this fixture at the same time; retry.",
                headers: [.retryAfter: "1"])
        case StoreError.unavailable(let why):
            // An operation that timed out may still commit: an ingest sent again is idempotent, so the scout
            // retries, and learns with 200 if it was stored after all.
            return APIError(
                .serviceUnavailable,
                "The store is unavailable: \(why) Retry: an action that was stored after all is answered 200.",
                headers: [.retryAfter: "1"])
        case StoreError.corruptRow, StoreError.newerSchema:
            logger.error("store error: \(error)")
            return APIError(.internalServerError, "The server could not read its store: \(error)")
        default:
            logger.error("unexpected error: \(String(reflecting: error))")
            return APIError(.internalServerError, "The server could not handle the request.")
        }
    }
}

/// Answers every failure with an `APIError` body, including requests no route matches.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            throw APIError.from(error, logger: context.logger)
        }
    }
}
