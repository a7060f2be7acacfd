import ArgumentParser
import MatchwireServer

/// `matchwire openapi`: the OpenAPI document a server of this build serves at `/openapi.json`, without a server.
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract:
            "Print the OpenAPI 3.1 document of the HTTP API, as GET /openapi.json serves it (every sport included).")

    func run() throws {
        print(String(decoding: MatchwireApp.openAPIDocument, as: UTF8.self))
    }
}
