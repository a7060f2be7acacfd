import ArgumentParser
import MatchwireClient

/// `--server URL --token T`, shared by the commands that talk to a running server.
struct ServerOptions: ParsableArguments {
    @Option(help: "The server's base URL (env MATCHWIRE_SERVER). Default: http://127.0.0.1:8080")
    var server: String?

    @Option(help: "The token to use (env MATCHWIRE_TOKEN).")
    var token: String?

    func baseURL() throws -> String {
        try Environment.setting(server, "server", default: "http://127.0.0.1:8080")
    }

    func tokenValue() throws -> String {
        let token = try Environment.setting(token, "token", default: "")
        guard !token.isEmpty else { throw ValidationError("A token is needed: give --token or MATCHWIRE_TOKEN.") }
        return token
    }

    func client() throws -> ServerClient {
        do {
            return try ServerClient(server: try baseURL(), token: try tokenValue())
        } catch let error as ClientError {
            throw ValidationError(error.description)
        }
    }
}
