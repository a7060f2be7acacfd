import Foundation
import MatchwireCore
import NIOCore

/// The settings of `matchwire serve` (operations.md §5), with their defaults.
public struct ServerConfiguration: Sendable, Hashable {
    public var host = "127.0.0.1"
    /// 0 picks a free port; the start-up line says which.
    public var port = 8080
    public var heartbeatInterval = 10.0
    public var authTimeout = 10.0
    public var mediaDelay = 5.0
    /// Consumer requests per second per token, refilled continuously.
    public var rateLimit = 5.0
    /// Requests a token may make at once before the rate applies.
    public var rateBurst = 10
    /// Packets a stream subscriber may fall behind before it is closed.
    public var subscriberQueue = 1000
    /// How long a stream's close frame (and the client's answer) may take before the connection is dropped: what
    /// a client that reads nothing costs after it is closed.
    public var streamCloseWait = Duration.seconds(5)
    /// The largest ingest or admin request body.
    public var maxBodyBytes = 1 << 20
    /// Seconds a new connection has to send a complete request head, and any request head to be completed once
    /// its first bytes have come.
    public var headerTimeout = 10.0
    /// Seconds a request body may pause between two reads.
    public var bodyTimeout = 10.0
    /// Seconds a kept-alive connection may wait for its next request.
    public var idleTimeout = 60.0
    /// Seconds an HTTP answer may wait for a client that does not read it.
    public var sendTimeout = 60.0
    /// Connections (HTTP and streams) open at once; one more is answered 503 and closed.
    public var maxConnections = 10_000
    /// Seconds from SIGTERM to the process's exit, whatever the clients do.
    public var shutdownTimeout = 10.0
    /// How often the open streams' tokens are checked for revocation: the longest a revoked token keeps a stream.
    public var revocationCheckInterval = Duration.seconds(2)
    /// With a store shared by several nodes: how often each node reads the packets other nodes stored for its
    /// subscribers, whatever the store's notifications say (the bound on delivery when a notification is lost).
    public var pollInterval = 1.0
    /// The longest a token kept in memory is trusted without reading the store again (``TokenTable``): a bound on
    /// how long a revocation made behind the store's back goes unseen. Not a command-line setting; tests lengthen
    /// it so that a slow machine cannot make a kept token expire in the middle of a count of store reads.
    public var tokenMaximumAge = TokenTable.defaultMaximumAge

    public init() {}

    /// The configuration in effect, for the start-up log line.
    public var summary: String {
        "heartbeat-interval=\(heartbeatInterval)s auth-timeout=\(authTimeout)s media-delay=\(mediaDelay)s "
            + "rate-limit=\(rateLimit)/s rate-burst=\(rateBurst) subscriber-queue=\(subscriberQueue) "
            + "max-body=\(maxBodyBytes)B header-timeout=\(headerTimeout)s body-timeout=\(bodyTimeout)s "
            + "idle-timeout=\(idleTimeout)s send-timeout=\(sendTimeout)s max-connections=\(maxConnections) shutdown-timeout=\(shutdownTimeout)s "
            + "poll-interval=\(pollInterval)s"
    }

    /// The bounds `HTTPConnectionGuard` keeps.
    var connectionLimits: HTTPConnectionGuard.Limits {
        HTTPConnectionGuard.Limits(
            headerTimeout: TimeAmount(seconds: headerTimeout), bodyTimeout: TimeAmount(seconds: bodyTimeout),
            idleTimeout: TimeAmount(seconds: idleTimeout), sendTimeout: TimeAmount(seconds: sendTimeout),
            maxBodyBytes: maxBodyBytes)
    }
}

extension Timestamp {
    /// The current time, to the millisecond: the receipt time of ingested actions, the creation time of tokens.
    public static var now: Timestamp {
        Timestamp(millisecondsSince1970: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
