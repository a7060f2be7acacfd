import HTTPTypes
import Hummingbird

/// The methods each path takes, so that another method on a known path is answered 405 with `Allow` (RFC 9110
/// §15.5.6) instead of 404: the path is right, the method is not.
///
/// Any method the HTTP parser knows is refused so: the common ones by routes of their own (``refuseOthers(on:)``),
/// the rest (`QUERY`, `PROPFIND`, `PURGE`, ...) by a middleware (``unlistedMethodRefusal``), since a router matches
/// a method only by name. A method the parser does not know (`FOO`, `get` in lower case) never gets this far: the
/// connection guard answers it 501.
struct AllowedMethods {
    /// The methods refused by routes of their own on known paths.
    static let refusable: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace]

    private var paths: [(path: String, methods: [HTTPRequest.Method])] = []

    /// The paths and the methods registered for each (HEAD not included: the router answers it from GET).
    var routes: [(path: String, methods: [HTTPRequest.Method])] { paths }

    mutating func add(_ method: HTTPRequest.Method, _ path: String) {
        if let index = paths.firstIndex(where: { $0.path == path }) {
            paths[index].methods.append(method)
        } else {
            paths.append((path, [method]))
        }
    }

    /// Routes every other method of each known path to a 405 naming the ones it takes. A path that takes GET
    /// takes HEAD too (the router answers it from the GET route: `autoGenerateHeadEndpoints`).
    func refuseOthers(on router: Router<BasicRequestContext>) {
        for (path, registered) in paths {
            let methods = Self.taken(registered)
            for method in Self.refusable where !methods.contains(method) {
                router.on(RouterPath(path), method: method) { request, _ -> Response in
                    throw Self.refusal(of: request.method, allowing: methods)
                }
            }
        }
    }

    /// Answers a method outside ``refusable`` 405 on a known path; passes everything else on (to the router,
    /// which answers an unknown path 404).
    var unlistedMethodRefusal: UnlistedMethodRefusal {
        UnlistedMethodRefusal(paths: paths.map { (Self.segments($0.path), Self.taken($0.methods)) })
    }

    struct UnlistedMethodRefusal: RouterMiddleware {
        typealias Context = BasicRequestContext
        let paths: [(segments: [Substring], methods: [HTTPRequest.Method])]

        func handle(
            _ request: Request, context: Context, next: (Request, Context) async throws -> Response
        ) async throws -> Response {
            guard !AllowedMethods.refusable.contains(request.method) else { return try await next(request, context) }
            let target = AllowedMethods.segments(request.uri.path)
            guard let known = paths.first(where: { AllowedMethods.matches(target, $0.segments) }) else {
                return try await next(request, context)
            }
            throw AllowedMethods.refusal(of: request.method, allowing: known.methods)
        }
    }

    private static func taken(_ registered: [HTTPRequest.Method]) -> [HTTPRequest.Method] {
        registered.contains(.get) ? registered + [.head] : registered
    }

    private static func refusal(of method: HTTPRequest.Method, allowing methods: [HTTPRequest.Method]) -> APIError {
        let allow = methods.map(\.rawValue).joined(separator: ", ")
        return APIError(
            .methodNotAllowed, "\(method.rawValue) is not allowed here; this path takes \(allow).",
            headers: [.allow: allow])
    }

    /// A path's segments, empty ones left out, as the router splits it.
    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// Whether a request's segments match a route's, where a `:parameter` segment matches any one segment.
    private static func matches(_ target: [Substring], _ route: [Substring]) -> Bool {
        target.count == route.count && zip(target, route).allSatisfy { $1.first == ":" || $0 == $1 }
    }
}
