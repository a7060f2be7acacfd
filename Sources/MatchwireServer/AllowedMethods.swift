import HTTPTypes
import Hummingbird

/// The methods each path takes, so that another method on a known path is answered 405 with `Allow` (RFC 9110
/// §15.5.6) instead of 404: the path is right, the method is not.
struct AllowedMethods {
    /// The methods refused with 405 on known paths; any other method a client may send is refused as unknown
    /// (501) by the connection guard or not routed (404).
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
            let methods = registered.contains(.get) ? registered + [.head] : registered
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            for method in Self.refusable where !methods.contains(method) {
                router.on(RouterPath(path), method: method) { request, _ -> Response in
                    throw APIError(
                        .methodNotAllowed, "\(request.method.rawValue) is not allowed here; this path takes \(allow).",
                        headers: [.allow: allow])
                }
            }
        }
    }
}
