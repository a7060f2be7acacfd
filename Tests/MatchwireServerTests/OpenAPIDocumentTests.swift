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
        // The document compiled into the binary is the one in the repository: it is the same file. Unreadable,
        // it is null, and every test below fails on it.
        (try? JSONValue.parse(PackageResources.openapi_json)) ?? .null
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
            #expect(Array(response.body.readableBytesView) == PackageResources.openapi_json)
        }
    }
}
