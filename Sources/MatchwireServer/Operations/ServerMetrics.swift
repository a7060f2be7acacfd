import CoreMetrics
import MatchwireCore
import MatchwireStore
import Metrics
import NIOWebSocket
import Prometheus
import Synchronization

// swift-metrics' handles, not Prometheus' own types of the same names: everything here records through the
// swift-metrics API, and only the factory and the registry are Prometheus'.
typealias Counter = CoreMetrics.Counter
typealias Timer = CoreMetrics.Timer

/// Everything the server measures, through swift-metrics, kept in a Prometheus registry that `GET /metrics`
/// emits (docs/operations.md, "Monitoring").
///
/// One instance per server, passed to what measures (not the process-wide `MetricsSystem`), so that every test's
/// server has its own figures. The handles on the delivery path are made once, up front: recording is an atomic
/// add for a counter and a short lock for a histogram's bucket, never a registry lookup. Label values are
/// bounded: feeds, sports, stream kinds, close codes, route patterns and statuses; never a fixture id or a token.
public final class ServerMetrics: Sendable {
    /// What `/metrics` emits; nil when metrics are switched off (`--no-metrics`), and nothing is recorded.
    let registry: PrometheusCollectorRegistry?
    /// The store's own: commit durations and group sizes, the PostgreSQL listener.
    public let store: StoreMetrics
    let streams: StreamMetrics
    let ingest: IngestMetrics
    let http: HTTPMetrics
    /// Fixtures whose status is live, by sport: set from the store on each scrape.
    let fixturesLive: [Sport: Meter]
    /// Requests answered 429 by the per-token rate limit.
    let rateLimited: Counter
    /// Reads of other nodes' packets, by what woke them: a notification or the poll timer.
    let crossNodeWakeUps: (notify: Counter, timer: Counter)

    public init(enabled: Bool = true) {
        let registry = enabled ? PrometheusCollectorRegistry() : nil
        let factory: any MetricsFactory
        if let registry {
            var prometheus = PrometheusMetricsFactory(registry: registry)
            // Delivery and commits take milliseconds: the default buckets (from 5 ms) would put nearly every
            // observation in the first.
            prometheus.defaultDurationHistogramBuckets = Self.durationBuckets
            prometheus.valueHistogramBuckets = [StoreMetrics.Name.commitGroupSize: Self.groupSizeBuckets]
            factory = prometheus
        } else {
            factory = NOOPMetricsHandler.instance
        }
        self.registry = registry
        store = StoreMetrics(factory: factory)
        streams = StreamMetrics(factory: factory)
        ingest = IngestMetrics(factory: factory)
        http = HTTPMetrics(factory: factory)
        fixturesLive = Dictionary(
            uniqueKeysWithValues: Sport.allCases.map { sport in
                (
                    sport,
                    Meter(label: "matchwire_fixtures_live", dimensions: [("sport", sport.rawValue)], factory: factory)
                )
            })
        rateLimited = Counter(label: "matchwire_rate_limited_total", dimensions: [], factory: factory)
        crossNodeWakeUps = (
            Counter(label: "matchwire_crossnode_wakeups_total", dimensions: [("cause", "notify")], factory: factory),
            Counter(label: "matchwire_crossnode_wakeups_total", dimensions: [("cause", "timer")], factory: factory)
        )
    }

    /// The bounds of every duration histogram: 0.5 ms to 10 s.
    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
    /// Appends per commit: SQLite's group commit takes at most 256.
    static let groupSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    /// The Prometheus text exposition of every metric; nil when metrics are off.
    func exposition() -> [UInt8]? {
        registry?.emitToBuffer()
    }
}

/// The `matchwire_streams_open` gauge of one feed and one kind of stream.
struct StreamOpenKey: Hashable, Sendable {
    let feed: Feed
    let content: StreamContent
}

/// The streams' metrics.
struct StreamMetrics: Sendable {
    /// Stream connections open now (upgraded, whether authenticated yet or not), by feed and by what they carry
    /// (`stream`: `actions` or `statistics`).
    let open: [StreamOpenKey: Meter]
    /// Frames written to stream clients: packets (`data`), heartbeats, and everything else (`control`: the INFO
    /// and ERROR messages of the auth exchange, pongs and close frames).
    let sent: (data: Counter, heartbeat: Counter, control: Counter)
    /// Seconds from the server's receipt of an action to its packet's frame written to a live stream, by feed;
    /// for the media feed, less the configured delay. Backlogs and replays are not live, and not measured.
    let deliveryLag: [Feed: Timer]
    private let factory: any MetricsFactory

    init(factory: any MetricsFactory) {
        self.factory = factory
        open = Dictionary(
            uniqueKeysWithValues: Feed.allCases.flatMap { feed in
                StreamContent.allCases.map { content in
                    (
                        StreamOpenKey(feed: feed, content: content),
                        Meter(
                            label: "matchwire_streams_open",
                            dimensions: [("feed", feed.rawValue), ("stream", content.rawValue)], factory: factory)
                    )
                }
            })
        func sent(_ kind: String) -> Counter {
            Counter(label: "matchwire_stream_messages_sent_total", dimensions: [("kind", kind)], factory: factory)
        }
        self.sent = (sent("data"), sent("heartbeat"), sent("control"))
        deliveryLag = Dictionary(
            uniqueKeysWithValues: Feed.allCases.map { feed in
                (
                    feed,
                    Timer(
                        label: "matchwire_delivery_lag_seconds", dimensions: [("feed", feed.rawValue)], factory: factory
                    )
                )
            })
    }

    /// A stream ended: counted by the close code the server sent, or `client` when the client closed it or went
    /// away. Rare enough to look the counter up each time.
    func closed(_ reason: StreamEnd) {
        let code = reason.closeFrame.map { String(UInt16(webSocketErrorCode: $0.code)) } ?? "client"
        Counter(label: "matchwire_stream_closes_total", dimensions: [("code", code)], factory: factory).increment()
    }

    /// The lag of a packet written now to a live stream of `feed`; `delay` is the media delay, zero on betting.
    func delivered(receivedAt: Timestamp, now: Timestamp, feed: Feed, delay: Double = 0) {
        let lag = now.microseconds - receivedAt.microseconds - Int64(delay * 1_000_000)
        deliveryLag[feed]?.recordNanoseconds(max(0, lag) * 1000)
    }
}

/// The ingest metrics.
struct IngestMetrics: Sendable {
    enum Result: String, CaseIterable {
        /// A new packet was stored.
        case stored
        /// An action already stored (the scout's retry) was answered with its packet.
        case retry
        /// The request was refused (4xx): its actions were not stored.
        case refused
    }

    private let actions: [Sport: [Result: Counter]]
    /// Seconds from the request's start to its answer, the commit included.
    let duration: Timer

    init(factory: any MetricsFactory) {
        actions = Dictionary(
            uniqueKeysWithValues: Sport.allCases.map { sport in
                (
                    sport,
                    Dictionary(
                        uniqueKeysWithValues: Result.allCases.map { result in
                            (
                                result,
                                Counter(
                                    label: "matchwire_ingest_actions_total",
                                    dimensions: [("sport", sport.rawValue), ("result", result.rawValue)],
                                    factory: factory)
                            )
                        })
                )
            })
        duration = Timer(label: "matchwire_ingest_duration_seconds", dimensions: [], factory: factory)
    }

    func count(_ actions: Int, sport: Sport, _ result: Result) {
        guard actions > 0 else { return }
        self.actions[sport]?[result]?.increment(by: actions)
    }
}

/// HTTP requests by method, route pattern and status, and their durations by method and route.
///
/// The label values are bounded: the route is the router's pattern (`NotFound`, as Hummingbird names it, for a path no route takes), the
/// method one HTTP's parser accepts, the status one this server answers. The handles are kept once made, so a
/// request costs one dictionary lookup under a lock rather than a registry lookup.
final class HTTPMetrics: Sendable {
    private struct Key: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private let factory: any MetricsFactory
    private let handles = Mutex<[Key: (requests: Counter, duration: Timer)]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func answered(method: String, route: String, status: Int, duration: Duration) {
        let key = Key(method: method, route: route, status: status)
        let handle = handles.withLock { handles in
            if let handle = handles[key] { return handle }
            let handle = (
                Counter(
                    label: "matchwire_http_requests_total",
                    dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory),
                Timer(
                    label: "matchwire_http_request_duration_seconds",
                    dimensions: [("method", method), ("route", route)],
                    factory: factory)
            )
            handles[key] = handle
            return handle
        }
        handle.requests.increment()
        handle.duration.record(duration: duration)
    }
}
