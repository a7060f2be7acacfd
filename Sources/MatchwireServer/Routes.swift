import Foundation
import Hummingbird
import MatchwireCore
import MatchwireStore
import NIOCore

/// The vendor media type of every successful consumer answer.
let vendorMediaType = "application/vnd.imggaming.dde.api+json;version=1"

/// The HTTP routes: consumer REST, ingestion and fixture administration. The streams share the actions paths;
/// `StreamServerChannel` takes the upgrade requests before they reach these routes.
struct Routes: Sendable {
    let store: any EventStore
    let access: AccessControl
    let writers: FixtureWriters
    let configuration: ServerConfiguration
    let finishedLists: FinishedListCache
    let readiness: Readiness
    let metrics: ServerMetrics

    /// Registers every route; returns each path (in the router's `:parameter` form) with its methods, as the
    /// OpenAPI drift test reads them.
    @discardableResult
    func register(on router: Router<BasicRequestContext>) -> [(path: String, methods: [HTTPRequest.Method])] {
        // The routes are listed first and registered at the end, so that the middleware answering other methods
        // on their paths knows them all and runs before each.
        var routes: [(HTTPRequest.Method, String, @Sendable (Request, BasicRequestContext) async throws -> Response)] =
            []
        func add(
            _ method: HTTPRequest.Method, _ path: String,
            _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response
        ) {
            routes.append((method, path, handler))
        }
        for sport in Sport.allCases {
            let base = sport.pathSegment
            add(.get, "\(base)/fixtures") { request, _ in try await listFixtures(request, sport: sport) }
            add(.get, "\(base)/fixtures/:fixtureId") { request, context in
                try await getFixture(request, context: context, sport: sport)
            }
            add(.get, "\(base)/fixtures/:fixtureId/actions") { request, context in
                try await listActions(request, context: context, sport: sport)
            }
            add(.get, "\(base)/fixtures/:fixtureId/statistics") { request, context in
                try await latestStatistics(request, context: context, sport: sport)
            }
            for content in StreamContent.allCases {
                add(.get, "media/\(base)/fixtures/:fixtureId/\(content.pathSegment)") { _, _ -> Response in
                    throw APIError(
                        .upgradeRequired, "The media feed is a websocket stream: connect with 'Upgrade: websocket'.",
                        headers: [.upgrade: "websocket"])
                }
            }
            add(.post, "ingest/\(base)/fixtures/:fixtureId/actions") { request, context in
                try await ingest(request, context: context, sport: sport)
            }
        }
        // For load balancers and orchestrators: no token, no rate limit (docs/operations.md).
        add(.get, "health") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        add(.get, "ready") { _, _ in await readiness.response(store: store) }
        // The API's OpenAPI document (OpenAPIDocument: the resource with every sport written in): no token, as any
        // other published API description.
        let openAPI = ByteBuffer(bytes: OpenAPIDocument.served)
        add(.get, "openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: openAPI))
        }
        // For Prometheus: no token (docs/operations.md, "Monitoring"); absent with --no-metrics.
        if metrics.registry != nil {
            add(.get, "metrics") { _, context in await metricsExposition(context: context) }
        }
        // The web match centre (docs/matchcentre.md): pages and assets from the binary, no token.
        add(.get, "/") { request, _ in MatchCentre.page("index.html", request) }
        add(.get, "match/:sport/:fixtureId") { request, context in
            try MatchCentre.matchPage(request, sport: context.parameters.get("sport"))
        }
        add(.get, "assets/:file") { request, context in
            try MatchCentre.asset(request, name: context.parameters.get("file"))
        }
        add(.post, "admin/fixtures") { request, _ in try await createFixture(request) }
        add(.patch, "admin/fixtures/:fixtureId") { request, context in
            try await patchFixture(request, context: context)
        }
        add(.delete, "admin/fixtures/:fixtureId") { request, context in
            try await deleteFixture(request, context: context)
        }
        var methods = AllowedMethods()
        for (method, path, _) in routes { methods.add(method, path) }
        router.add(middleware: methods.unlistedMethodRefusal)
        for (method, path, handler) in routes { router.on(RouterPath(path), method: method, use: handler) }
        methods.refuseOthers(on: router)
        return methods.routes
    }

    // MARK: Consumer REST

    private func listFixtures(_ request: Request, sport: Sport) async throws -> Response {
        try requireAcceptable(request)
        _ = try await access.authorizeRead(request, feed: nil, sport: sport)
        let query = try FixtureListQuery.parse(request, sport: sport)
        let page = try await store.fixtures(query.storeQuery)
        var writer = JSONWriter(reservingCapacity: 512 * max(1, page.fixtures.count))
        if let paging = query.storeQuery.page {
            writer.beginObject()
            writer.key("content")
            writeFixtures(page.fixtures, to: &writer)
            writer.key("page"); writer.int(paging.number)
            writer.key("size"); writer.int(paging.size)
            writer.key("totalElements"); writer.int(page.totalElements)
            writer.key("totalPages"); writer.int((page.totalElements + paging.size - 1) / paging.size)
            writer.endObject()
        } else {
            writeFixtures(page.fixtures, to: &writer)
        }
        return vendorResponse(writer.bytes)
    }

    private func writeFixtures(_ fixtures: [Fixture], to writer: inout JSONWriter) {
        writer.beginArray()
        for fixture in fixtures { fixture.write(to: &writer) }
        writer.endArray()
    }

    private func getFixture(_ request: Request, context: BasicRequestContext, sport: Sport) async throws -> Response {
        try requireAcceptable(request)
        _ = try await access.authorizeRead(request, feed: nil, sport: sport)
        let fixture = try await requireFixture(context, sport: sport)
        return vendorResponse(fixture.jsonBytes)
    }

    private func listActions(_ request: Request, context: BasicRequestContext, sport: Sport) async throws -> Response {
        try requireAcceptable(request)
        _ = try await access.authorizeRead(request, feed: nil, sport: sport)
        let fixture = try await requireFixture(context, sport: sport)
        let etag = "\"\(fixture.lastSeqNum)-\(fixture.finished ? "final" : "live")\""
        if let header = request.headers[.ifNoneMatch], Self.ifNoneMatch(header, matches: etag) {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        let body: ByteBuffer
        if fixture.finished, let cached = finishedLists.body(fixtureId: fixture.id, lastSeqNum: fixture.lastSeqNum) {
            body = cached
        } else {
            body = ByteBuffer(bytes: try await store.actionsList(of: fixture))
            if fixture.finished {
                finishedLists.store(body, fixtureId: fixture.id, lastSeqNum: fixture.lastSeqNum)
            }
        }
        return Response(
            status: .ok, headers: [.contentType: vendorMediaType, .eTag: etag], body: ResponseBody(byteBuffer: body))
    }

    /// The fixture's latest statistics packet (protocol.md §5), or before the first the packet with empty
    /// aggregates and `seqNum` 0. The same checks as the actions list, in the same order; its `ETag` is the
    /// statistics `seqNum` (before the first, the fixture's update count).
    private func latestStatistics(_ request: Request, context: BasicRequestContext, sport: Sport) async throws
        -> Response
    {
        try requireAcceptable(request)
        _ = try await access.authorizeRead(request, feed: nil, sport: sport)
        let fixture = try await requireFixture(context, sport: sport)
        var latest = try await store.latestStatistics(fixtureId: fixture.id)
        if latest == nil, fixture.lastSeqNum > 0 {
            // Packets but no statistics: perhaps stored before statistics were kept.
            try await store.backfillStatistics(of: fixture)
            latest = try await store.latestStatistics(fixtureId: fixture.id)
        }
        // Before the first, the body is made from the fixture record, which a change (PATCH) moves on.
        let etag = latest.map { "\"statistics-\($0.seqNum)\"" } ?? "\"statistics-0-\(fixture.updateCount)\""
        if let header = request.headers[.ifNoneMatch], Self.ifNoneMatch(header, matches: etag) {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        let bytes = latest?.bytes ?? StatisticsPacket.none(of: fixture).jsonBytes(fixture: fixture)
        return Response(
            status: .ok, headers: [.contentType: vendorMediaType, .eTag: etag],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: Ingestion

    /// Stores a scout's action or array of actions. Counted in the ingest metrics by action: stored, a retry
    /// answered with its stored packet, or refused (a 4xx answer, all of the request's actions).
    private func ingest(_ request: Request, context: BasicRequestContext, sport: Sport) async throws -> Response {
        let started = ContinuousClock.now
        var actions = 1
        defer { metrics.ingest.duration.record(duration: ContinuousClock.now - started) }
        do {
            _ = try await access.authorizeIngest(request, sport: sport)
            var request = request
            let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
            let writer = try await writers.writer(forPath: context.parameters.get("fixtureId"), sport: sport)
            let json = try parseJSON(body, of: request)
            let submissions = try ActionSubmission.batch(from: json)
            actions = submissions.count
            let result = try await writer.ingest(submissions, receivedAt: .now)
            metrics.ingest.count(result.storedCount, sport: sport, .stored)
            metrics.ingest.count(submissions.count - result.storedCount, sport: sport, .retry)
            let buffer = ByteBuffer(
                bytes: json.arrayValue != nil ? JSONWriter.array(of: result.packets) : result.packets[0])
            return Response(
                status: result.storedNew ? .created : .ok, headers: [.contentType: vendorMediaType],
                body: ResponseBody(byteBuffer: buffer))
        } catch {
            // Made the answer here (the error middleware passes an APIError on as it is), to count a refusal.
            let answer = APIError.from(error, logger: context.logger)
            if (400..<500).contains(answer.status.code) { metrics.ingest.count(actions, sport: sport, .refused) }
            throw answer
        }
    }

    // MARK: Metrics

    /// The Prometheus text exposition. The live fixtures are counted from the store first (all nodes' fixtures,
    /// since the store is shared); when the store does not answer, the figures of the last scrape stay.
    private func metricsExposition(context: BasicRequestContext) async -> Response {
        for sport in Sport.allCases {
            do {
                let live = try await store.fixtures(FixtureQuery(sport: sport, status: .live, page: (0, 1)))
                metrics.fixturesLive[sport]?.set(live.totalElements)
            } catch {
                context.logger.warning("metrics: live fixtures of \(sport.rawValue) not counted: \(error)")
            }
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition() ?? [])))
    }

    // MARK: Fixture administration

    private func createFixture(_ request: Request) async throws -> Response {
        _ = try await access.authorizeAdmin(request)
        var request = request
        let body = try parseJSON(try await request.collectBody(upTo: configuration.maxBodyBytes), of: request)
        let fixture = try FixtureRequest.create(body)
        try await store.insertFixture(fixture)
        return vendorResponse(fixture.jsonBytes, status: .created)
    }

    private func patchFixture(_ request: Request, context: BasicRequestContext) async throws -> Response {
        _ = try await access.authorizeAdmin(request)
        var request = request
        let body = try parseJSON(try await request.collectBody(upTo: configuration.maxBodyBytes), of: request)
        let writer = try await writers.writer(forPath: context.parameters.get("fixtureId"), sport: nil)
        let fixture = try await writer.updateFixture { fixture in
            guard !fixture.fixtureDeleted else {
                throw APIError(.conflict, "Fixture \(fixture.id.wire) is deleted: it can no longer be changed.")
            }
            guard fixture.status == .scheduled || fixture.status == .postponed, !fixture.finished else {
                throw APIError(
                    .conflict,
                    "Fixture \(fixture.id.wire) has started (\(fixture.status.name)): it can no longer be changed.")
            }
            try FixtureRequest.patch(body, to: &fixture)
        }
        return vendorResponse(fixture.jsonBytes)
    }

    private func deleteFixture(_ request: Request, context: BasicRequestContext) async throws -> Response {
        _ = try await access.authorizeAdmin(request)
        let writer = try await writers.writer(forPath: context.parameters.get("fixtureId"), sport: nil)
        let fixture = try await writer.updateFixture { fixture in
            if !fixture.fixtureDeleted {
                fixture.fixtureDeleted = true
                fixture.updateCount += 1
            }
        }
        return vendorResponse(fixture.jsonBytes)
    }

    // MARK: Helpers

    /// The fixture of the path, which must exist and be of `sport` (of any sport when nil). Checked before a
    /// fixture writer is made for it, so unknown ids never occupy memory.
    private func requireFixture(_ context: BasicRequestContext, sport: Sport?) async throws -> Fixture {
        try await store.requireFixture(context.parameters.get("fixtureId"), sport: sport)
    }

    /// Malformed JSON is a bad request (400). JSON that is well formed but refused on purpose (nested deeper than
    /// `JSONValue.maxDepth`, a name twice in one object, half a surrogate pair) is content this service does not
    /// take (422). Either way the sentence names the byte.
    ///
    /// A body sent as some other media type that is not JSON either is 415. A body that parses as JSON is taken
    /// whatever its `Content-Type` says, so that `curl -d`, which labels everything form data, works as scouts and
    /// operators use it.
    private func parseJSON(_ body: ByteBuffer, of request: Request) throws -> JSONValue {
        do {
            return try JSONValue.parse(body.readableBytesView)
        } catch {
            if let type = request.headers[.contentType], !Self.namesJSON(type) {
                throw APIError(
                    .unsupportedMediaType,
                    "The body must be JSON (Content-Type: application/json); it was sent as \(Self.mediaType(type)) and is not JSON."
                )
            }
            throw APIError(
                error.kind == .malformed ? .badRequest : .unprocessableContent, error.sentence(about: "The body"))
        }
    }

    /// Whether an `If-None-Match` value matches the current entity tag (RFC 9110 §13.1.2): `*`, or a tag equal to
    /// it by the weak comparison (`W/"3-live"` matches `"3-live"`).
    static func ifNoneMatch(_ header: String, matches etag: String) -> Bool {
        header.split(separator: ",").contains { entry in
            let tag = entry.trimmingHTTPWhitespace
            return tag == "*" || (tag.hasPrefix("W/") ? tag.dropFirst(2) : tag) == etag
        }
    }

    /// The media type of a `Content-Type` value, without its parameters.
    static func mediaType(_ contentType: String) -> String {
        contentType.prefix { $0 != ";" }.trimmingHTTPWhitespace.lowercased()
    }

    /// `application/json`, or a `+json` type.
    static func namesJSON(_ contentType: String) -> Bool {
        let type = mediaType(contentType)
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    private func vendorResponse(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: vendorMediaType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Checks the `Accept` header of a consumer request: the vendor type, `application/json` or a wildcard.
func requireAcceptable(_ request: Request) throws {
    try requireAcceptable(accept: request.headers[.accept])
}

/// The same check on the `Accept` header's value (all of its lines joined with ", ", as `HTTPFields` gives them).
func requireAcceptable(accept: String?) throws {
    guard let accept else { throw APIError.missingAccept }
    var acceptable = false
    accept.forEachHTTPListElement { entry in acceptable = acceptable || acceptsOurType(entry) }
    guard acceptable else {
        throw APIError(
            .notAcceptable, "The Accept header '\(accept)' allows no type this service sends: use \(vendorMediaType).")
    }
}

/// Whether one element of an `Accept` header (`type/subtype;parameters`) names a type this service sends: the vendor
/// type with no version but 1, `application/json`, `application/*` or `*/*`. Read in place, without copies: it
/// runs on every stream connect and REST request.
func acceptsOurType(_ entry: Substring) -> Bool {
    let (typeText, parameters) = entry.splitOnce(at: UInt8(ascii: ";"))
    let type = typeText.trimmingHTTPWhitespace
    if type.equalsIgnoringASCIICase("application/json") || type.equalsIgnoringASCIICase("application/*")
        || type == "*/*"
    {
        return true
    }
    guard type.equalsIgnoringASCIICase("application/vnd.imggaming.dde.api+json") else { return false }
    // Any `version` parameter must be 1.
    var versionIsOne = true
    parameters.forEachHTTPListElement(separatedBy: UInt8(ascii: ";")) { parameter in
        if parameter.prefix(8).equalsIgnoringASCIICase("version="),
            !parameter.equalsIgnoringASCIICase("version=1")
        {
            versionIsOne = false
        }
    }
    return versionIsOne
}
