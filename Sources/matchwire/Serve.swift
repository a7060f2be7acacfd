import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MatchwireServer
import MatchwireStore
import ServiceLifecycle
import Synchronization

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the service. Every option can also be set as MATCHWIRE_<OPTION> (MATCHWIRE_PORT=9000).")

    @Option(help: "Address to listen on. Default: 127.0.0.1") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one. Default: 8080") var port: Int?
    @OptionGroup var store: StoreOptions
    @Option(help: "Seconds between stream heartbeats. Default: 10") var heartbeatInterval: Double?
    @Option(help: "Seconds a stream client has to send its auth message. Default: 10") var authTimeout: Double?
    @Option(help: "Seconds the media feed is held back. Default: 5") var mediaDelay: Double?
    @Option(help: "Consumer requests per second per token. Default: 5") var rateLimit: Double?
    @Option(help: "Consumer requests a token may burst. Default: 10") var rateBurst: Int?
    @Option(help: "Packets a stream subscriber may fall behind before it is closed. Default: 1000")
    var subscriberQueue: Int?
    @Option(help: "Seconds a connection has to send a whole request head. Default: 10") var headerTimeout: Double?
    @Option(help: "Seconds a request body may pause between two reads. Default: 10") var bodyTimeout: Double?
    @Option(help: "Seconds a kept-alive connection may wait for its next request. Default: 60") var idleTimeout: Double?
    @Option(help: "Seconds an HTTP answer may wait for a client that does not read it. Default: 60")
    var sendTimeout: Double?
    @Option(help: "Connections open at once; one more is answered 503. Default: 10000") var maxConnections: Int?
    @Option(help: "Seconds from SIGTERM or SIGINT to exit, whatever the clients do. Default: 10")
    var shutdownTimeout: Double?
    @Option(
        help: "With --postgres: seconds between reads of other nodes' actions, besides notifications. Default: 1")
    var pollInterval: Double?
    @Option(help: "Log lines as text or json (one JSON object per line, for log shippers). Default: text")
    var logFormat: String?
    @Flag(
        inversion: .prefixedNo,
        help: "Serve Prometheus metrics at /metrics, without a token (MATCHWIRE_METRICS=false to switch off).")
    var metrics: Bool?
    @Flag(help: "Keep one simulated live fixture per sport running, and a few completed ones to replay.")
    var demo = false
    @Option(help: "How many times faster than real time demo matches are played. Default: 1")
    var demoSpeed: Double?

    func run() async throws {
        var configuration = ServerConfiguration()
        configuration.host = try Environment.setting(host, "host", default: configuration.host)
        configuration.port = try Environment.setting(port, "port", default: configuration.port)
        configuration.heartbeatInterval = try Environment.setting(
            heartbeatInterval, "heartbeat-interval", default: configuration.heartbeatInterval)
        configuration.authTimeout = try Environment.setting(
            authTimeout, "auth-timeout", default: configuration.authTimeout)
        configuration.mediaDelay = try Environment.setting(mediaDelay, "media-delay", default: configuration.mediaDelay)
        configuration.rateLimit = try Environment.setting(rateLimit, "rate-limit", default: configuration.rateLimit)
        configuration.rateBurst = try Environment.setting(rateBurst, "rate-burst", default: configuration.rateBurst)
        configuration.subscriberQueue = try Environment.setting(
            subscriberQueue, "subscriber-queue", default: configuration.subscriberQueue)
        configuration.headerTimeout = try Environment.setting(
            headerTimeout, "header-timeout", default: configuration.headerTimeout)
        configuration.bodyTimeout = try Environment.setting(
            bodyTimeout, "body-timeout", default: configuration.bodyTimeout)
        configuration.idleTimeout = try Environment.setting(
            idleTimeout, "idle-timeout", default: configuration.idleTimeout)
        configuration.sendTimeout = try Environment.setting(
            sendTimeout, "send-timeout", default: configuration.sendTimeout)
        configuration.maxConnections = try Environment.setting(
            maxConnections, "max-connections", default: configuration.maxConnections)
        configuration.shutdownTimeout = try Environment.setting(
            shutdownTimeout, "shutdown-timeout", default: configuration.shutdownTimeout)
        configuration.pollInterval = try Environment.setting(
            pollInterval, "poll-interval", default: configuration.pollInterval)
        try validate(configuration)
        let settings = configuration
        let demo = try self.demo || Environment.setting(nil as Bool?, "demo", default: false)
        let demoSpeed = try Environment.setting(self.demoSpeed, "demo-speed", default: 1.0)
        guard demoSpeed > 0 else { throw ValidationError("--demo-speed must be above 0.") }

        // swift-log's text handler stamps each line with `localtime`, and glibc, when TZ is not set, reads
        // /etc/localtime's status again at every call (a system call per log line, one per request). Naming that
        // same file keeps the zone and reads it once.
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
        switch try Environment.setting(logFormat, "log-format", default: "text") {
        case "text": LoggingSystem.bootstrap(StreamLogHandler.standardOutput)
        case "json": LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        case let other: throw ValidationError("--log-format must be text or json, not \(other).")
        }
        let logger = Logger(label: "matchwire")
        var frameworkLogger = Logger(label: "matchwire.http")
        frameworkLogger.logLevel = .warning
        let metrics = ServerMetrics(enabled: try Environment.setting(self.metrics, "metrics", default: true))
        let eventStore = try await store.open(metrics: metrics.store, logger: frameworkLogger)
        let hub = StreamHub(logger: logger, metrics: metrics)
        let writers = FixtureWriters(store: eventStore, hub: hub)
        let listening = ListeningPort()
        let readiness = Readiness()
        let app = MatchwireApp.build(
            configuration: settings, store: eventStore, hub: hub, writers: writers, readiness: readiness,
            logger: frameworkLogger, requestLogger: logger
        ) { port in
            logger.info(
                "matchwire listening on http://\(settings.host):\(port) store=\(eventStore.description) \(settings.summary)"
            )
            listening.listening(on: port)
        }
        // Shut down in reverse order: the demo scouts stop, the hub closes the streams with 1001, then the server
        // finishes the requests in flight and stops.
        let shutdown = ShutdownSignal(readiness: readiness)
        // A PostgreSQL store is a service itself, first: it connects, migrates and listens before the others
        // use it, and closes after them.
        var services: [any Service] = (eventStore as? PostgresEventStore).map { [$0] } ?? []
        services += [app, hub] as [any Service]
        if demo {
            let tokenFile =
                eventStore is PostgresEventStore ? nil : URL(fileURLWithPath: try store.databasePath() + ".demo-token")
            services.append(
                DemoStart(
                    prepared: eventStore is PostgresEventStore
                        ? nil : try await DemoAccess.prepare(store: eventStore, tokenFile: tokenFile),
                    store: eventStore, writers: writers, tokenFile: tokenFile,
                    speed: demoSpeed, host: settings.host, listening: listening, logger: logger))
        }
        // The shutdown is bounded: past `shutdownTimeout` the services are cancelled, and a service that does not
        // end within a further second of cancellation stops the process (ServiceGroup's fatal error), so that no
        // client can keep it running.
        services.append(shutdown)
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: frameworkLogger)
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(Int(settings.shutdownTimeout * 1000))
        groupConfiguration.maximumCancellationDuration = .seconds(1)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch  where shutdown.requested {
            // The shutdown ran out of time: what was still open was cancelled and dropped. That is the promised
            // bound, not a failure of the service.
            logger.warning(
                "shutdown took longer than --shutdown-timeout (\(settings.shutdownTimeout) s): connections still open were dropped"
            )
        } catch {
            try? await eventStore.close()
            throw error
        }
        try await eventStore.close()
        logger.info("matchwire stopped")
    }

    private func validate(_ configuration: ServerConfiguration) throws {
        guard (0...65535).contains(configuration.port) else { throw ValidationError("--port must be from 0 to 65535.") }
        guard configuration.heartbeatInterval > 0 else {
            throw ValidationError("--heartbeat-interval must be above 0.")
        }
        guard configuration.authTimeout > 0 else { throw ValidationError("--auth-timeout must be above 0.") }
        guard configuration.mediaDelay >= 0 else { throw ValidationError("--media-delay must be 0 or more.") }
        guard configuration.rateLimit > 0 else { throw ValidationError("--rate-limit must be above 0.") }
        guard configuration.rateBurst >= 1 else { throw ValidationError("--rate-burst must be at least 1.") }
        for (name, value) in [
            ("header-timeout", configuration.headerTimeout), ("body-timeout", configuration.bodyTimeout),
            ("idle-timeout", configuration.idleTimeout), ("send-timeout", configuration.sendTimeout),
            ("shutdown-timeout", configuration.shutdownTimeout), ("poll-interval", configuration.pollInterval),
        ] {
            guard value > 0, value <= 86_400 else {
                throw ValidationError("--\(name) must be above 0 and at most 86400.")
            }
        }
        guard configuration.maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1.") }
        guard configuration.subscriberQueue >= 1 else {
            throw ValidationError("--subscriber-queue must be at least 1.")
        }
    }
}

/// Remembers that a shutdown was asked for (SIGTERM, SIGINT), so that the end of the service group can be told
/// from a failure, and makes `/ready` answer 503 at once. Last in the group, it is the first told of the shutdown:
/// before the streams are closed.
final class ShutdownSignal: Service, Sendable {
    private let asked = Mutex(false)
    let readiness: Readiness

    init(readiness: Readiness) {
        self.readiness = readiness
    }

    var requested: Bool { asked.withLock { $0 } }

    func run() async throws {
        // Cancelled instead (a service failed, and the group is cancelled): no shutdown was asked for.
        guard (try? await gracefulShutdown()) != nil else { return }
        readiness.markShuttingDown()
        asked.withLock { $0 = true }
    }
}
