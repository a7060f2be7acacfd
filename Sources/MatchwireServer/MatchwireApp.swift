import Hummingbird
import Logging
import MatchwireCore
import MatchwireStore
import NIOCore

/// Builds the Matchwire HTTP application on a store.
public enum MatchwireApp {
    /// The application, ready to run. `onRunning` is called with the bound port once it listens.
    public static func build(
        configuration: ServerConfiguration, store: any EventStore, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        let access = AccessControl(store: store, rateLimit: configuration.rateLimit, rateBurst: configuration.rateBurst)
        Routes(store: store, access: access, writers: FixtureWriters(store: store), configuration: configuration)
            .register(on: router)
        return Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "matchwire"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}
