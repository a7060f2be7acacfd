import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// A file of the match centre, compiled into the binary: its bytes, media type and entity tag.
///
/// Served with `Cache-Control: no-cache`: a browser keeps the file but asks again each time, and the strong
/// `ETag` (a hash of the bytes) makes that a 304 without a body until the binary changes. The names carry no
/// hash of their content, so a longer `max-age` could pair a new page with an old script after an upgrade.
struct StaticFile: Sendable {
    let bytes: [UInt8]
    let contentType: String
    let etag: String

    init(bytes: [UInt8], contentType: String) {
        self.bytes = bytes
        self.contentType = contentType
        let digest = SHA256.hash(data: Data(bytes)).prefix(12).map { String(format: "%02x", $0) }.joined()
        etag = "\"\(digest)\""
    }

    /// The media type of a file name's extension; nil for a kind of file the match centre does not serve.
    static func contentType(ofName name: String) -> String? {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        default: nil
        }
    }

    /// The page's own origin only: scripts, styles and connections (the websocket streams) to this server, nothing
    /// inline, nothing framed. `ws:`/`wss:` are named because browsers before CSP 3 do not count a websocket to
    /// the page's own host as `'self'`.
    static let contentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; "
        + "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    /// The file, or 304 when the request's `If-None-Match` names its tag.
    func response(to request: Request) -> Response {
        var headers: HTTPFields = [
            .contentType: contentType, .eTag: etag, .cacheControl: "no-cache",
            .contentSecurityPolicy: Self.contentSecurityPolicy, .xContentTypeOptions: "nosniff",
            .referrerPolicy: "no-referrer",
        ]
        if let header = request.headers[.ifNoneMatch], Routes.ifNoneMatch(header, matches: etag) {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
