import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MatchwireCore
@testable import MatchwireServer
import Synchronization
import Testing

/// The OpenAPI document and the router do not drift apart (issue 15, items 3 and 4): every route the router
/// knows is documented, and every documented operation is routed. Whether the answers match the document is
/// checked by schemathesis against a running server (`Tests/conformance/run.sh`, run by `.ci/run`).
@Suite struct OpenAPIDocumentTests {
    static let document: JSONValue = {
        // The document as served: the resource with every sport written in. Unreadable, it is null, and every test
        // below fails on it.
        (try? JSONValue.parse(OpenAPIDocument.served)) ?? .null
    }()

    /// "GET /soccer/fixtures/{fixtureId}", for every operation the document describes.
    static var documentedOperations: Set<String> {
        guard case .object(let paths)? = document["paths"] else { return [] }
        var operations: Set<String> = []
        for (path, item) in paths {
            guard case .object(let methods) = item else { continue }
            for method in methods.keys where Self.httpMethods.contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The same, for every route the router registers, with `:fixtureId` written as `{fixtureId}`.
    static func routedOperations(metrics: Bool) async throws -> Set<String> {
        let routed = Mutex<Set<String>>([])
        try await TestServer.start { server, _ in
            let routes = Routes(
                store: server.store, access: AccessControl(store: server.store, rateLimit: 1, rateBurst: 1),
                writers: server.writers, configuration: server.configuration,
                finishedLists: FinishedListCache(capacityBytes: 1024), readiness: Readiness(),
                metrics: ServerMetrics(enabled: metrics)
            )
            .register(on: Router(context: BasicRequestContext.self))
            for route in routes {
                let path =
                    "/"
                    + route.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                    .joined(separator: "/")
                for method in route.methods { routed.withLock { _ = $0.insert("\(method.rawValue) \(path)") } }
            }
        }
        return routed.withLock { $0 }
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() async throws {
        let routed = try await Self.routedOperations(metrics: true)
        let documented = Self.documentedOperations
        #expect(routed.count > 20, "the router's routes were read: \(routed)")
        #expect(routed.subtracting(documented).sorted() == [], "routed but not documented")
        #expect(documented.subtracting(routed).sorted() == [], "documented but not routed")
    }

    @Test func everySportHasItsConsumerStreamAndIngestPaths() {
        let documented = Self.documentedOperations
        for sport in Sport.allCases {
            let base = "/\(sport.pathSegment)/fixtures"
            for operation in [
                "GET \(base)", "GET \(base)/{fixtureId}", "GET \(base)/{fixtureId}/actions",
                "GET /media\(base)/{fixtureId}/actions", "POST /ingest\(base)/{fixtureId}/actions",
                "GET \(base)/{fixtureId}/statistics", "GET /media\(base)/{fixtureId}/statistics",
            ] {
                #expect(documented.contains(operation), "\(operation)")
            }
        }
    }

    @Test func theDocumentIsOpenAPI31WithTheSchemasAndSecurityAClientNeeds() {
        let document = Self.document
        #expect(document["openapi"]?.stringValue?.hasPrefix("3.1") == true)
        for schema in ["Error", "Fixture", "Packet", "FixturePage", "FixtureList", "PacketList", "Readiness"] {
            #expect(document["components"]?["schemas"]?[schema] != nil, "schema \(schema)")
        }
        #expect(document["components"]?["securitySchemes"]?["bearerAuth"]?["scheme"] == "bearer")
        // Every operation documents its error answers with the JSON error body.
        guard case .object(let paths)? = document["paths"] else {
            Issue.record("no paths")
            return
        }
        for (path, item) in paths {
            guard case .object(let methods) = item else { continue }
            for (method, operation) in methods where Self.httpMethods.contains(method) {
                guard case .object(let responses)? = operation["responses"] else {
                    Issue.record("\(method) \(path) has no responses")
                    continue
                }
                #expect(responses.keys.contains { $0.hasPrefix("4") }, "\(method) \(path) documents its 4xx")
                #expect(responses["503"] != nil, "\(method) \(path) documents 503")
            }
        }
    }

    @Test func theServerServesTheDocumentFromTheBinaryWithoutAToken() async throws {
        try await TestServer.start { server, client in
            let response = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(Array(response.body.readableBytesView) == OpenAPIDocument.served)
        }
    }

    /// A sport is in the document by being in the registry: every placeholder of the template is filled, and what
    /// the document says of each sport is what the sport is (its rules keys, its action ids), with examples the
    /// server itself accepts.
    @Test func everySportIsWrittenInFromTheRegistry() throws {
        let text = String(decoding: OpenAPIDocument.served, as: UTF8.self)
        for placeholder in ["<path>", "<sport>", "<Type>", "<operation>", "<words>", "<ownIds>", "<sports>"] {
            #expect(!text.contains(placeholder), "\(placeholder) is left in the served document")
        }
        #expect(Self.document["x-matchwire-sport-template"] == nil)
        let schemas = try #require(Self.document["components"]?["schemas"])
        let examples = try #require(Self.document["components"]?["examples"])
        #expect(schemas["Sport"]?["enum"] == .array(Sport.allCases.map { .string($0.rawValue) }))
        #expect(schemas["FixtureRules"]?["anyOf"]?.arrayValue?.count == Sport.allCases.count)
        for sport in Sport.allCases {
            let type = sport.typeName
            #expect(text.contains(sport.words), "the description names \(sport)")
            let rules = try #require(schemas["\(type)Rules"], "\(type)Rules")
            #expect(
                rules["properties"]?.objectValue.map { Set($0.keys) }
                    == Set(sport.rulesType.rulesKeys.map(\.name)), "\(sport): the rules keys")
            #expect(
                schemas["\(type)ActionSubmission"]?["properties"]?["fixtureActionTypeId"]?["enum"]?.arrayValue?
                    .compactMap(\.intValue) == sport.catalogue.definitions.map(\.id).sorted(), "\(sport): the ids")
            // The examples are the server's own: the fixture reads back, its actions are accepted in order by an
            // engine of that fixture, and its packets decode.
            let fixture = try Fixture(wire: try #require(examples["\(type)Fixture"]?["value"], "\(type)Fixture"))
            #expect(fixture.sport == sport)
            var engine = try FixtureEngine(fixture: fixture)
            let actions = try #require(examples["\(type)IngestArray"]?["value"]?.arrayValue, "\(type)IngestArray")
            #expect(actions.count == 3)
            for action in actions {
                let outcome = try engine.ingest(
                    ActionSubmission(json: action), receivedAt: fixture.startDate, traceId: "t")
                guard case .stored = outcome else {
                    Issue.record("\(sport): an example action was not stored: \(action)")
                    continue
                }
            }
            #expect(examples["\(type)IngestSingle"]?["value"] == actions.last)
            let packets = try #require(examples["\(type)ActionsList"]?["value"]?.arrayValue, "\(type)ActionsList")
            #expect(!packets.isEmpty)
            for packet in packets { #expect(try Packet.decode(packet).action.fixtureId == fixture.id) }
            let path = "/\(sport.pathSegment)/fixtures/{fixtureId}/actions"
            #expect(
                Self.document["paths"]?[path]?["get"]?["operationId"] == .string("\(sport.operationName)ListActions"))
        }
    }

    /// The template alone, with no sport: the document still reads (a registry of one sport, or none, is a
    /// document too), which shows that nothing of a sport is left in the resource itself.
    @Test func theResourceItselfNamesNoSport() throws {
        let document = try OpenAPIDocument.make(sports: [])
        let paths = try #require(document["paths"]?.objectValue?.keys)
        #expect(paths.contains("/admin/fixtures"))
        for sport in Sport.allCases {
            #expect(!paths.contains { $0.contains("/\(sport.pathSegment)/") }, "\(sport) has a path in the resource")
            #expect(document["components"]?["schemas"]?["\(sport.typeName)Rules"] == nil)
        }
        let one = try OpenAPIDocument.make(sports: [.volleyball])
        #expect(one["paths"]?["/v2/volleyball/fixtures"] != nil)
        #expect(one["paths"]?["/soccer/fixtures"] == nil)
        #expect(one["components"]?["schemas"]?["Sport"]?["enum"] == ["volleyball"])
    }
}
