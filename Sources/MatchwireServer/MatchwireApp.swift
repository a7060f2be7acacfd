import Hummingbird
import HummingbirdCore
import Logging
import MatchwireCore
import MatchwireStore
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Builds the Matchwire HTTP and websocket application on a store.
public enum MatchwireApp {
    /// The application, ready to run: its own services, then the ``Listener``, in one service group (shut down in
    /// reverse: the listener first). `onRunning` is called with the bound port once it listens.
    ///
    /// `hub` carries the streams. Run it as a service after the application in one service group (`matchwire serve`
    /// does): it is then shut down first, closing every stream with 1001 and ending the tasks it runs; the listener
    /// closes any stream left when it shuts down. `requestLogger` writes the
    /// line per HTTP request (at info; `logger` when nil). `writers`, when given, is
    /// shared with other writers of the same store (the demo's simulated scouts). `readiness` is what `/ready`
    /// answers from: mark it shutting down first when the server stops. The metrics are the hub's
    /// (``StreamHub/init(logger:metrics:)``): `/metrics` is routed unless they are switched off.
    public static func build(
        configuration: ServerConfiguration, store: any EventStore, hub: StreamHub, writers: FixtureWriters? = nil,
        readiness: Readiness = Readiness(), logger: Logger, requestLogger: Logger? = nil,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some Service {
        // HEAD is answered on every GET path, as RFC 9110 §9.3.2 asks (the connection guard drops the body).
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        // The request log is outside the error middleware, so that it sees the status every error became.
        let metrics = hub.metrics
        router.add(middleware: RequestLogMiddleware(logger: requestLogger ?? logger, metrics: metrics.http))
        router.add(middleware: ErrorMiddleware())
        let access = AccessControl(
            store: store, rateLimit: configuration.rateLimit, rateBurst: configuration.rateBurst,
            refusals: metrics.rateLimited, tokenMaximumAge: configuration.tokenMaximumAge)
        Routes(
            store: store, access: access, writers: writers ?? FixtureWriters(store: store, hub: hub),
            configuration: configuration, finishedLists: FinishedListCache(capacityBytes: FinishedListCache.capacity),
            readiness: readiness, metrics: metrics
        )
        .register(on: router)
        let streams = StreamEndpoint(configuration: configuration, store: store, access: access, hub: hub)
        let connections = StreamServerChannel(
            responder: RoutesResponder.make(router.buildResponder(), logger: logger),
            streams: streams, connections: ConnectionLimit(limit: configuration.maxConnections),
            limits: configuration.connectionLimits)
        let listener = Listener(
            host: configuration.host, port: configuration.port, backlog: Int32(Self.listenBacklog),
            acceptsPerWakeUp: Self.acceptsPerWakeUp, eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            connections: connections, logger: logger, onRunning: onRunning)
        return ServiceGroup(
            configuration: .init(
                services: services(configuration: configuration, store: store, hub: hub, logger: logger) + [listener],
                logger: logger))
    }

    /// The queue of connections the kernel keeps before they are accepted (Hummingbird's server asked for 256;
    /// Linux caps it at `net.core.somaxconn`, 4096 by default). nginx asks for its own maximum too.
    static let listenBacklog = 4096

    /// Connections accepted per wake-up of the listening socket (SwiftNIO's default is 4): connections arrive in
    /// bursts, a client reconnecting thousands of subscribers.
    static let acceptsPerWakeUp: UInt = 64

    /// The application's own long-lived work: revoked tokens' streams are ended, and, on a store shared by
    /// several nodes, other nodes' packets are brought to this node's subscribers.
    static func services(configuration: ServerConfiguration, store: any EventStore, hub: StreamHub, logger: Logger)
        -> [any Service]
    {
        var services: [any Service] = [
            TokenRevocations(store: store, hub: hub, interval: configuration.revocationCheckInterval, logger: logger)
        ]
        if let notifications = store.appendNotifications {
            services.append(
                CrossNodeDelivery(
                    notifications: notifications, catchUp: StoreCatchUp(store: store, hub: hub), hub: hub,
                    pollInterval: .milliseconds(Int64(configuration.pollInterval * 1000)), logger: logger))
        }
        return services
    }
}
