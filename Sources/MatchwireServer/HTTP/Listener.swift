import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The listening socket and the connections it accepts, as a service.
///
/// Each accepted connection gets its handlers at once on its event loop (``StreamServerChannel/setup(channel:logger:)``).
/// A connection that becomes a stream, or is refused over the connection limit, is run by its handlers from then
/// on and never has a task. A connection whose first request is for the routes, or whose upgrade was refused, is
/// handed to this service's task group, where a task runs it (``StreamServerChannel/run(_:logger:)``).
///
/// Hummingbird's `Server` gave every connection a task as it was accepted, handed over through an async sequence
/// from the event loop: for a stream, which needs none, that was a task and the thread switches around it on every
/// connect (docs/benchmarks.md).
///
/// - Graceful shutdown: the listening socket closes and every connection is asked to quiesce (SwiftNIO's
///   `ServerQuiescingHelper`): HTTP connections finish the requests they read and close (``HTTPConnectionGuard``),
///   streams close with 1001 (``StreamConnection``; in `serve` the hub has closed them already). The service ends
///   when every connection has closed.
/// - Cancelled: the listening socket closes and the HTTP connections' tasks are cancelled, which closes them; a
///   connection that comes to need a task afterwards is closed. Streams and connections whose first request is
///   still awaited stay open until the process ends (`serve` exits right after).
/// - A listening socket that closes by itself (a fatal accept error) ends the service with an error. Accept errors
///   that pass (out of file descriptors) pause accepting for a moment, as SwiftNIO's async bootstrap does, instead
///   of spinning.
struct Listener: Service, CustomStringConvertible {
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

    var description: String { "Listener(\(host):\(port))" }

    struct ClosedByItself: Error, CustomStringConvertible {
        var description: String { "The listening socket closed by itself: no connection can be accepted." }
    }

    func run() async throws {
        let quiescing = ServerQuiescingHelper(group: eventLoopGroup)
        // The connections that need a task, from the event loops to the task group. Unbounded: each entry is a
        // connection already accepted, and their number is bounded by `--max-connections`.
        let (needingTasks, handOver) = AsyncStream.makeStream(of: StreamServerChannel.UpgradeResult.self)
        let connections = self.connections
        let logger = self.logger
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(ChannelOptions.backlog, value: backlog)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.maxMessagesPerRead, value: acceptsPerWakeUp)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        AcceptBackoffHandler(shouldForwardIOErrorCaught: false),
                        quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                connections.setup(channel: channel, logger: logger).map { value in
                    value.upgradeResult.whenSuccess { result in
                        switch result {
                        case .http, .refused:
                            // After a cancellation nothing runs it any more.
                            if case .terminated = handOver.yield(result) { value.channel.close(promise: nil) }
                        case .stream, .overLimit:
                            break
                        }
                    }
                }
            }
        let server = try await bootstrap.bind(host: host, port: port).get()
        let shuttingDown = ShutdownFlag()
        server.closeFuture.whenComplete { _ in
            if !shuttingDown.isSet { handOver.finish() }
        }
        guard !Task.isCancelled else {
            try? await server.close()
            return
        }
        let boundPort = server.localAddress?.port ?? port
        logger.info("listening on \(host):\(boundPort)")
        await onRunning(boundPort)
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await connection in needingTasks {
                    group.addTask { await connections.run(connection, logger: logger) }
                }
            } onGracefulShutdown: {
                shuttingDown.set()
                let closed = server.eventLoop.makePromise(of: Void.self)
                closed.futureResult.whenComplete { _ in handOver.finish() }
                quiescing.initiateShutdown(promise: closed)
            }
            // Cancelled, or the socket closed by itself (the loop above ended without a shutdown): no more
            // connections. When cancelled, the tasks of the HTTP connections are cancelled with this group.
            try? await server.close()
            // The listening socket closed by itself: the HTTP connections are cancelled too, so that the error is
            // reported now rather than when the last kept-alive connection ends.
            if !shuttingDown.isSet { group.cancelAll() }
        }
        if !shuttingDown.isSet && !Task.isCancelled { throw ClosedByItself() }
    }
}

/// Whether the listener's graceful shutdown began: then the listening socket's close is expected.
private final class ShutdownFlag: Sendable {
    private let value = Atomic(false)

    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
