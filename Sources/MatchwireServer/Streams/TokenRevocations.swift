import Logging
import MatchwireStore
import ServiceLifecycle

/// Closes the open streams of revoked tokens.
///
/// A REST request or a new stream checks its token against the store (through the token table, which drops what
/// it keeps whenever a token changes), so a revocation applies to them at once. An open stream checked its token
/// once, at its auth message; tokens are revoked by `matchwire token revoke`, another process, which does not
/// reach the open streams. So every `interval` this service reads the tokens and ends each open
/// stream whose token is revoked or gone (an ERROR message, then 1008): a revoked token keeps its streams at most
/// `interval` plus one store read. Nothing is read while no stream is open.
struct TokenRevocations: Service {
    let store: any EventStore
    let hub: StreamHub
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return  // the server is stopping
            }
            await check()
        }
    }

    /// Ends the streams whose tokens are no longer valid; returns how many.
    @discardableResult
    func check() async -> Int {
        let open = hub.streamTokens
        guard !open.isEmpty else { return 0 }
        do {
            let valid = Set(try await store.tokens().filter { !$0.revoked }.map(\.name))
            let ended = hub.endStreams(ofTokens: open.subtracting(valid))
            if ended > 0 { logger.info("closed \(ended) streams of revoked tokens") }
            return ended
        } catch {
            // The next turn tries again; the streams stay open meanwhile, as they would without this check.
            logger.warning("could not read the tokens to find revoked ones: \(error)")
            return 0
        }
    }
}
