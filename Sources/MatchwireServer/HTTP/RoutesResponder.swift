import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// The routes as an HTTP connection's request loop calls them (Hummingbird's `handleHTTP`, run by ``Listener``).
///
/// What Hummingbird's `Application` wraps around its router, which this server no longer runs (``Listener`` says
/// why): each request gets its context; an error that reached no answer becomes a bare 500 (the error middleware
/// answers every error of ours, so this is the last resort, and no error text reaches the client); every answer of
/// the routes carries `Date` and `Server`, as do the answers made before the routes (a refused upgrade, the
/// connection guard's refusals, the 503 over the connection limit), but for the bare 400 that Hummingbird's
/// request loop writes for a body it cannot parse while a route reads it. Hummingbird's per-request id in the log
/// metadata is not kept: no log line here used it.
enum RoutesResponder {
    static func make(
        _ routes: some HTTPResponder<BasicRequestContext>, logger: Logger
    ) -> HTTPChannelHandler.Responder {
        let date = DateHeader.shared
        return { request, writer, channel in
            let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await routes.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                // The request loop answers a request it could not parse with 400 and closes.
                throw error
            } catch {
                logger.debug("no answer for the error: \(String(reflecting: error))")
                response = Response(status: .internalServerError)
            }
            response.headers[.date] = date.value
            response.headers[.server] = DateHeader.serverName
            do {
                try await writer.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // A parse error of the next request while this answer was written: thrown as it is, the loop
                // would write a second answer; any other error closes the connection.
                throw ParseErrorWhileAnswering()
            }
        }
    }

    struct ParseErrorWhileAnswering: Error {}
}
