import HTTPTypes
import Hummingbird
import MatchwireCore

/// The web match centre (docs/matchcentre.md): two pages and their assets, all compiled into the binary. The
/// pages read everything else through the public API with the viewer's token, as any customer would.
///
/// `GET /` is the fixtures of every sport, `GET /match/{sport}/{fixtureId}` one fixture's live page (the same
/// file for every fixture: the page reads the path), `GET /assets/{file}` the styles and scripts, and
/// `GET /assets/sports.json` the sports the server serves, made from ``Sport``, so that a sport added later shows
/// up without touching the pages. None needs a token: they hold no data.
enum MatchCentre {
    /// The files of `Resources/web`, by name. A file added there is listed here and in Package.swift.
    static let files: [String: StaticFile] = {
        let embedded: [(String, [UInt8])] = [
            ("index.html", PackageResources.index_html), ("match.html", PackageResources.match_html),
            ("matchcentre.css", PackageResources.matchcentre_css), ("common.js", PackageResources.common_js),
            ("index.js", PackageResources.index_js), ("match.js", PackageResources.match_js),
            ("model.js", PackageResources.model_js), ("stream.js", PackageResources.stream_js),
        ]
        var files: [String: StaticFile] = [:]
        for (name, bytes) in embedded {
            guard let type = StaticFile.contentType(ofName: name) else {
                preconditionFailure("no media type for \(name)")
            }
            files[name] = StaticFile(bytes: bytes, contentType: type)
        }
        files["sports.json"] = StaticFile(bytes: sportsJSON.jsonBytes, contentType: "application/json")
        return files
    }()

    /// What the pages need to know of each sport: its name in fixture objects, its path segment, its words, and
    /// which way its clock runs (`up`, `down`, or `none`), which a summary does not say, from its default rules.
    static var sportsJSON: JSONValue {
        .array(
            Sport.allCases.map { sport in
                let clock = (try? sport.rules(nil))?.clockStart(ofPeriod: 1)
                return .object([
                    "sport": .string(sport.rawValue), "path": .string(sport.pathSegment),
                    "name": .string(sport.displayName), "possession": .string(sport.possessionWord),
                    "period": .string(sport.periodWord),
                    "clock": .string(clock.map { $0.countsDown ? "down" : "up" } ?? "none"),
                ])
            })
    }

    static func page(_ name: String, _ request: Request) -> Response {
        files[name]!.response(to: request)
    }

    /// An asset by name; 404 for any other name (the pages are served at their own paths only).
    static func asset(_ request: Request, name: String?) throws -> Response {
        guard let name, !name.hasSuffix(".html"), let file = files[name] else {
            throw APIError(.notFound, "No such resource.")
        }
        return file.response(to: request)
    }

    /// The match page of a fixture: the sport must be one this server serves. The fixture is not looked up (the
    /// page does that with the viewer's token and says so when it is unknown).
    static func matchPage(_ request: Request, sport: String?) throws -> Response {
        guard let sport, Sport(rawValue: sport) != nil else {
            throw APIError(
                .notFound, "No such sport: the match page is /match/{sport}/{fixtureId}, sport one of \(Sport.names).")
        }
        return page("match.html", request)
    }
}
