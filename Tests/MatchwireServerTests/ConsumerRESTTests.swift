import Foundation
import HTTPTypes
import HummingbirdTesting
import MatchwireCore
import MatchwireStore
import NIOCore
import MatchwireServer
import Testing

/// Consumer REST over a real socket (protocol.md §2).
@Suite struct ConsumerRESTTests {
    @Test func actionsListHoldsTheStoredPacketsInSequenceOrderWithTheVendorType() async throws {
        try await TestServer.start { server, client in
            let posted = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array([server.action(4), server.action(6), server.action(1102, home: true)]).buffer)
            #expect(posted.status == .created)
            let list = try await client.execute(
                uri: server.actionsPath, method: .get, headers: server.consumerHeaders())
            #expect(list.status == .ok)
            #expect(list.headers[.contentType] == "application/vnd.imggaming.dde.api+json;version=1")
            #expect(list.json.arrayValue?.compactMap { $0["fixtureAction"]?["fixtureSeqNum"]?.intValue } == [1, 2, 3])
            #expect(
                Array(list.body.readableBytesView) == Array(posted.body.readableBytesView),
                "the same bytes as ingest answered")
        }
    }

    @Test func finishedFixtureIsListedInTimelineOrder() async throws {
        try await TestServer.start { server, client in
            let match = server.wholeMatch()
            let posted = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array(match).buffer)
            #expect(posted.status == .created)
            let list = try await client.execute(
                uri: server.actionsPath, method: .get, headers: server.consumerHeaders())
            let order = list.json.arrayValue?.compactMap { $0["fixtureAction"]?["fixtureSeqNum"]?.intValue } ?? []
            let n = match.count
            #expect(order.prefix(2) == [1, n], "period 0 first: Team Colours, then Post Match Check Complete")
            #expect(order.count == n)
            #expect(list.json.arrayValue?.last?["finished"] == .bool(false))
            #expect(list.json.arrayValue?[1]["finished"] == .bool(true))
        }
    }

    @Test func etagAnswers304UntilANewPacketArrives() async throws {
        try await TestServer.start { server, client in
            let first = try await client.execute(
                uri: server.actionsPath, method: .get, headers: server.consumerHeaders())
            let etag = try #require(first.headers[.eTag])
            var conditional = server.consumerHeaders()
            conditional[.ifNoneMatch] = etag
            let unchanged = try await client.execute(uri: server.actionsPath, method: .get, headers: conditional)
            #expect(unchanged.status == .notModified)
            #expect(unchanged.body.readableBytes == 0)
            // If-None-Match compares weakly, and `*` matches wherever it stands in the list (RFC 9110 §13.1.2).
            for value in ["W/\(etag)", "\"other\", \(etag)", "\"other\", *"] {
                var header = server.consumerHeaders()
                header[.ifNoneMatch] = value
                let answer = try await client.execute(uri: server.actionsPath, method: .get, headers: header)
                #expect(answer.status == .notModified, "If-None-Match: \(value)")
            }
            _ = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: server.action(2).buffer)
            let changed = try await client.execute(uri: server.actionsPath, method: .get, headers: conditional)
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] != etag)
        }
    }

    @Test func missingAcceptIs400AndUnacceptableAcceptIs406() async throws {
        try await TestServer.start { server, client in
            let missing = try await client.execute(
                uri: server.actionsPath, method: .get, headers: server.bearer(server.consumer))
            #expect(missing.status == .badRequest)
            #expect(missing.errorMessage == "Request is missing required HTTP header 'Accept'")
            var html = server.consumerHeaders()
            html[.accept] = "text/html"
            let wrong = try await client.execute(uri: server.actionsPath, method: .get, headers: html)
            #expect(wrong.status == .notAcceptable)
            #expect(wrong.errorMessage.contains("text/html"))
            for accepted in ["application/json", "*/*", "text/html, application/vnd.imggaming.dde.api+json;version=1"] {
                var headers = server.consumerHeaders()
                headers[.accept] = accepted
                #expect(try await client.execute(uri: server.actionsPath, method: .get, headers: headers).status == .ok)
            }
        }
    }

    @Test func missingUnknownOrRevokedTokenIs401() async throws {
        try await TestServer.start { server, client in
            let none = try await client.execute(
                uri: server.actionsPath, method: .get, headers: [.accept: "application/json"])
            #expect(none.status == .unauthorized)
            #expect(none.errorMessage == "The supplied authentication is invalid")
            // RFC 9110 §11.6.1: every 401 names the scheme to use.
            #expect(none.headers[.wwwAuthenticate] == #"Bearer realm="matchwire""#)
            let unknown = try await client.execute(
                uri: server.actionsPath, method: .get, headers: server.consumerHeaders("mw_nope"))
            #expect(unknown.status == .unauthorized)
            _ = try await server.store.revokeToken(name: "consumer")
            let revoked = try await client.execute(
                uri: server.actionsPath, method: .get, headers: server.consumerHeaders())
            #expect(revoked.status == .unauthorized)
        }
    }

    @Test func tokenNotEntitledToTheSportIs403() async throws {
        try await TestServer.start { server, client in
            let issued = AccessControlTestSupport.token(name: "soccer-only", role: .consumer, sports: [])
            try await server.store.insertToken(issued.record)
            let response = try await client.execute(
                uri: server.actionsPath, method: .get, headers: server.consumerHeaders(issued.token))
            #expect(response.status == .forbidden)
            #expect(response.errorMessage.contains("not entitled to tabletennis"))
        }
    }

    @Test func unknownFixtureUnknownSportAndMalformedIdsAre404() async throws {
        try await TestServer.start { server, client in
            for path in [
                "/v2/tabletennis/fixtures/\(UUID().uuidString.lowercased())/actions",
                "/v2/tabletennis/fixtures/not-a-uuid",
                "/v2/curling/fixtures", "/soccer/fixtures/\(server.fixture.id.wire)",
            ] {
                let response = try await client.execute(uri: path, method: .get, headers: server.consumerHeaders())
                #expect(response.status == .notFound, "\(path)")
                #expect(!response.errorMessage.isEmpty)
            }
        }
    }

    @Test func overTheRateLimitIs429WithRetryAfter() async throws {
        // A slow refill (a token every 20 s), so that a loaded machine, however slow its three requests, cannot
        // refill the bucket between them.
        try await TestServer.start(rateLimit: 0.05, rateBurst: 2) { server, client in
            for _ in 1...2 {
                #expect(
                    try await client.execute(uri: server.actionsPath, method: .get, headers: server.consumerHeaders())
                        .status == .ok)
            }
            let limited = try await client.execute(
                uri: server.actionsPath, method: .get, headers: server.consumerHeaders())
            #expect(limited.status == .tooManyRequests)
            // 20 s for a whole token at 0.05/s, less what refilled while the two requests ran.
            #expect((10...20).contains(Int(limited.headers[.retryAfter] ?? "") ?? 0), "\(limited.headers)")
            #expect(limited.errorMessage.contains("Rate limit"))
        }
    }

    @Test func fixturesAreListedFilteredAndPaged() async throws {
        try await TestServer.start { server, client in
            for name in ["ZHANG", "ITO"] {
                let body = JSONValue.object([
                    "sport": .string("tabletennis"), "startDateUTC": .string("2025-05-21T10:00:00"),
                    "teams": .array([.object(["name": .string(name)]), .object(["name": .string("LIU")])]),
                ])
                let created = try await client.execute(
                    uri: "/admin/fixtures", method: .post, headers: server.bearer(server.admin), body: body.buffer)
                #expect(created.status == .created)
            }
            let all = try await client.execute(
                uri: "/v2/tabletennis/fixtures", method: .get, headers: server.consumerHeaders())
            #expect(
                all.json.arrayValue?.compactMap { $0["name"]?.stringValue } == [
                    "PARK Gahyeon v BATRA Manika", "ITO v LIU", "ZHANG v LIU",
                ])
            let byName = try await client.execute(
                uri: "/v2/tabletennis/fixtures?sort=name,desc&dateFrom=2025-05-21", method: .get,
                headers: server.consumerHeaders())
            #expect(byName.json.arrayValue?.compactMap { $0["name"]?.stringValue } == ["ZHANG v LIU", "ITO v LIU"])
            var paged = server.consumerHeaders()
            paged[HTTPField.Name("paged")!] = "true"
            let page = try await client.execute(
                uri: "/v2/tabletennis/fixtures?size=2&page=1", method: .get, headers: paged)
            #expect(page.json["totalElements"]?.intValue == 3)
            #expect(page.json["totalPages"]?.intValue == 2)
            #expect(page.json["page"]?.intValue == 1)
            #expect(page.json["content"]?.arrayValue?.count == 1)
            let live = try await client.execute(
                uri: "/v2/tabletennis/fixtures?live=true", method: .get, headers: server.consumerHeaders())
            #expect(live.json.arrayValue?.isEmpty == true)
            let one = try await client.execute(
                uri: "/v2/tabletennis/fixtures/\(server.fixture.id.wire)", method: .get,
                headers: server.consumerHeaders())
            #expect(one.json["rules"] == .object(["bestOf": .number(3), "pointsPerGame": .number(11)]))
            #expect(one.json["coverageLevel"] == .string("In Venue"))
        }
    }

    @Test func badQueryParametersAre400NamingTheParameter() async throws {
        try await TestServer.start { server, client in
            for (query, name) in [
                ("status=sleeping", "status"), ("dateFrom=20-05-2025", "dateFrom"), ("sort=colour", "sort"),
                ("live=maybe", "live"),
            ] {
                let response = try await client.execute(
                    uri: "/v2/tabletennis/fixtures?\(query)", method: .get, headers: server.consumerHeaders())
                #expect(response.status == .badRequest)
                #expect(response.errorMessage.contains("'\(name)'"), "\(query)")
            }
            var paged = server.consumerHeaders()
            paged[HTTPField.Name("paged")!] = "true"
            let tooBig = try await client.execute(
                uri: "/v2/tabletennis/fixtures?size=501", method: .get, headers: paged)
            #expect(tooBig.status == .badRequest)
            // Strict: digits only, each parameter once (sort: at most once per field).
            for (query, name) in [
                ("page=%2B5", "page"), ("page=1&page=2", "page"), ("size=%205", "size"), ("size=5.0", "size"),
                ("live=true&live=false", "live"), ("sort=name&sort=startTime&sort=name", "sort"),
                ("sort=name,desc&sort=name", "sort"),
            ] {
                let response = try await client.execute(
                    uri: "/v2/tabletennis/fixtures?\(query)", method: .get, headers: paged)
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.errorMessage.contains("'\(name)'"), "\(query): \(response.errorMessage)")
            }
        }
    }

    @Test func anotherMethodOnAKnownPathIs405WithAllow() async throws {
        try await TestServer.start { server, client in
            for (method, path, allow) in [
                (HTTPRequest.Method.post, "/v2/tabletennis/fixtures", "GET, HEAD"),
                (.delete, server.actionsPath, "GET, HEAD"), (.get, server.ingestPath, "POST"),
                (.put, "/admin/fixtures/\(server.fixture.id.wire)", "PATCH, DELETE"), (.trace, "/health", "GET, HEAD"),
                // Methods the parser knows that no route names (OpenAPI 3.2's QUERY, WebDAV's, caches').
                (HTTPRequest.Method("QUERY")!, "/v2/tabletennis/fixtures", "GET, HEAD"),
                (HTTPRequest.Method("PROPFIND")!, server.actionsPath, "GET, HEAD"),
                (HTTPRequest.Method("PURGE")!, "/admin/fixtures/\(server.fixture.id.wire)", "PATCH, DELETE"),
            ] {
                let response = try await client.execute(uri: path, method: method, headers: server.consumerHeaders())
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
                #expect(response.errorMessage == "\(method.rawValue) is not allowed here; this path takes \(allow).")
            }
            // On a path that is not known the method does not matter: 404.
            for path in ["/v2/tabletennis/fixture", "/v2/tabletennis/fixtures/\(server.fixture.id.wire)/actions/1"] {
                let response = try await client.execute(uri: path, method: HTTPRequest.Method("QUERY")!)
                #expect(response.status == .notFound, "QUERY \(path)")
            }
        }
    }
}

enum AccessControlTestSupport {
    static func token(name: String, role: Role, sports: Set<Sport>) -> (token: String, record: TokenRecord) {
        MatchwireServer.AccessControl.issue(
            name: name, role: role, feeds: Set(Feed.allCases), sports: sports,
            now: Timestamp(millisecondsSince1970: 1_747_729_800_000))
    }
}
