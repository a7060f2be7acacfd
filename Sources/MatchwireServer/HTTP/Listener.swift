import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle

/// The listening socket and the connections it accepts, as a service.
///
/// Each accepted connection gets its handlers at once on its event loop (``StreamServerChannel/setup(channel:logger:)``).
/// A connection that becomes a stream, or is refused over the connection limit, is run by its handlers from then
/// on and never has a task. A connection whose first request is for the routes, or whose upgrade was refused, is
/// handed to this service's task group, where a task runs its requests (``StreamServerChannel/run(_:logger:)``).
///
/// Hummingbird's `Server` gave every connection a task as it was accepted, handed over through an async sequence
/// from the event loop: for a stream, which needs no task, that was two thread switches and a task's allocation
/// per connect, a fifth of a connect's CPU in the profile.
///
/// Graceful shutdown: the listening socket closes and every connection is asked to quiesce (SwiftNIO's
/// `ServerQuiescingHelper`): HTTP connections finish the requests they read and close (``HTTPConnectionGuard``),
/// streams are closed by the hub, which shuts down before this service. The service ends when every connection has
/// closed. Cancelled, it closes the listening socket and cancels the HTTP connections' tasks, which close them.
struct Listener: Service {
    let host: String
    let port: Int
    /// The queue of connections the kernel keeps before they are accepted.
    let backlog: Int32
    /// Connections accepted per wake-up of the listening socket.
    let acceptsPerWakeUp: UInt
    let eventLoopGroup: any EventLoopGroup
    let connections: StreamServerChannel
    let logger: Logger
    /// Called with the bound port once the socket listens.
    let onRunning: @Sendable (Int) async -> Void

    func run() async throws {
        let quiescing = ServerQuiescingHelper(group: eventLoopGroup)
        // The HTTP connections, from the event loops to the task group. Unbounded: each entry is a connection
        // already accepted, and their number is bounded by `--max-connections`.
        let (httpConnections, handOver) = AsyncStream.makeStream(of: StreamServerChannel.UpgradeResult.self)
        let connections = self.connections
        let logger = self.logger
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(ChannelOptions.backlog, value: backlog)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.maxMessagesPerRead, value: acceptsPerWakeUp)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                connections.setup(channel: channel, logger: logger).map { value in
                    value.upgradeResult.whenSuccess { result in
                        switch result {
                        case .http, .refused: handOver.yield(result)
                        case .stream, .overLimit: break
                        }
                    }
                }
            }
        let server = try await bootstrap.bind(host: host, port: port).get()
        logger.info("listening on \(host):\(server.localAddress?.port ?? port)")
        await onRunning(server.localAddress?.port ?? port)
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await connection in httpConnections {
                    group.addTask { await connections.run(connection, logger: logger) }
                }
            } onGracefulShutdown: {
                let closed = server.eventLoop.makePromise(of: Void.self)
                closed.futureResult.whenComplete { _ in handOver.finish() }
                quiescing.initiateShutdown(promise: closed)
            }
            // Cancelled (the loop above ends without a graceful shutdown): no more connections; the tasks of the
            // HTTP ones are cancelled with this group.
            try? await server.close()
        }
    }
}
