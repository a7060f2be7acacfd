import Foundation
import HTTPTypes
import MatchwireCore
@testable import MatchwireServer
import Testing

/// How the match centre's files are served (issue 16, item 5): from the binary, with their media types, an ETag,
/// revalidation, and a Content-Security-Policy that allows the server's own origin only.
@Suite struct MatchCentreTests {
    @Test func thePagesAndAssetsAreServedWithTheirTypesTagsAndPolicy() async throws {
        try await TestServer.start { server, client in
            let files: [(String, String)] = [
                ("/", "text/html; charset=utf-8"),
                ("/match/soccer/\(UUID().uuidString.lowercased())", "text/html; charset=utf-8"),
                ("/match/tabletennis/\(server.fixture.id.wire)", "text/html; charset=utf-8"),
                ("/assets/matchcentre.css", "text/css; charset=utf-8"),
                ("/assets/match.js", "text/javascript; charset=utf-8"),
                ("/assets/model.js", "text/javascript; charset=utf-8"),
                ("/assets/stream.js", "text/javascript; charset=utf-8"),
                ("/assets/sports.json", "application/json"),
            ]
            for (path, type) in files {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == type, "\(path)")
                #expect(response.headers[.cacheControl] == "no-cache", "\(path)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                let policy = try #require(response.headers[.contentSecurityPolicy], "\(path)")
                #expect(policy.contains("default-src 'self'") && policy.contains("script-src 'self'"))
                #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval") && !policy.contains("*"))
                let etag = try #require(response.headers[.eTag], "\(path)")
                #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""), "a strong tag: \(etag)")
                // Revalidation: the same tag is 304 without a body; another one is the file again.
                let again = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: etag])
                #expect(again.status == .notModified, "\(path)")
                #expect(again.body.readableBytes == 0)
                let other = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "\"other\""])
                #expect(other.status == .ok, "\(path)")
            }
        }
    }

    @Test func thePagesNeedNoTokenAndFetchNothingFromOutside() async throws {
        try await TestServer.start { server, client in
            for name in MatchCentre.files.keys.sorted() {
                let path =
                    name.hasSuffix(".html") ? (name == "index.html" ? "/" : "/match/soccer/x") : "/assets/\(name)"
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path) needs no token")
                let text = String(buffer: response.body)
                // No CDN, no font service, no analytics: every URL in the files is relative to the server.
                for outside in ["http://", "https://", "//cdn", "@import url(", "fonts.googleapis"] {
                    #expect(!text.contains(outside), "\(name) refers to \(outside)")
                }
                if name.hasSuffix(".html") {
                    // The policy forbids inline script and style: none may be there to be blocked.
                    #expect(!text.contains("<script>") && !text.contains(" style=") && !text.contains(" onclick="))
                }
            }
        }
    }

    @Test func sportsJSONListsEverySportOfTheServer() async throws {
        try await TestServer.start { server, client in
            let response = try await client.execute(uri: "/assets/sports.json", method: .get)
            let sports = try #require(response.json.arrayValue)
            #expect(sports.compactMap { $0["sport"]?.stringValue } == Sport.allCases.map(\.rawValue))
            #expect(sports.compactMap { $0["path"]?.stringValue } == Sport.allCases.map(\.pathSegment))
            #expect(sports.compactMap { $0["possession"]?.stringValue } == Sport.allCases.map(\.possessionWord))
            // Which way the clock runs, as each sport's default rules start its first period.
            let clocks = try Sport.allCases.map { sport in
                try sport.rules(nil).clockStart(ofPeriod: 1).map { $0.countsDown ? "down" : "up" } ?? "none"
            }
            #expect(clocks.contains("none") && clocks.contains("up") && clocks.contains("down"))
            #expect(sports.compactMap { $0["clock"]?.stringValue } == clocks)
        }
    }

    @Test func anUnknownSportOrAssetIs404() async throws {
        try await TestServer.start { server, client in
            for path in [
                "/match/curling/\(UUID().uuidString)", "/assets/nothing.js", "/assets/index.html", "/assets/",
                "/match/soccer",
            ] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
            }
            let curling = try await client.execute(uri: "/match/curling/x", method: .get)
            #expect(curling.errorMessage.contains("No such sport"))
        }
    }
}
