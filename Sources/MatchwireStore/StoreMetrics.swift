import CoreMetrics
import Metrics

/// What a store measures, through swift-metrics: the commits of appends, and a PostgreSQL store's listening
/// connection. Made from the server's metrics factory; ``disabled`` records nothing.
///
/// Label values are bounded: no fixture id ever becomes a label.
public struct StoreMetrics: Sendable {
    /// Seconds from the start of an append's transaction to its confirmed commit.
    let commitDuration: Timer
    /// Appends (ingest requests) made durable by one commit: SQLite's group commit takes several at once.
    let commitGroupSize: Recorder
    private let factory: any MetricsFactory

    /// The metric names, in one place for the documentation and its test.
    public enum Name {
        public static let commitDuration = "matchwire_store_commit_duration_seconds"
        public static let commitGroupSize = "matchwire_store_commit_group_size"
        public static let listenerUp = "matchwire_postgres_listener_up"
        public static let listenerReconnects = "matchwire_postgres_listener_reconnects_total"
    }

    public init(factory: any MetricsFactory) {
        self.factory = factory
        commitDuration = Timer(label: Name.commitDuration, dimensions: [], factory: factory)
        commitGroupSize = Recorder(label: Name.commitGroupSize, dimensions: [], aggregate: true, factory: factory)
    }

    /// Records nothing.
    public static var disabled: StoreMetrics { StoreMetrics(factory: NOOPMetricsHandler.instance) }

    /// One commit of `appends` appends, which took `duration`.
    func committed(_ appends: Int, in duration: Duration) {
        commitDuration.record(duration: duration)
        commitGroupSize.record(appends)
    }

    /// The listening connection's metrics, made only by a store that has one, so that a SQLite node does not
    /// show a listener that is always down.
    func listener() -> ListenerMetrics {
        ListenerMetrics(
            up: Meter(label: Name.listenerUp, dimensions: [], factory: factory),
            reconnects: Counter(label: Name.listenerReconnects, dimensions: [], factory: factory))
    }
}

/// Whether a PostgreSQL store's listening connection is up (1) or not (0), and how often it was made again
/// after it had been listening.
struct ListenerMetrics: Sendable {
    let up: Meter
    let reconnects: Counter
}
