import Foundation
import Logging
import PostgresNIO

/// The node's one listening connection: LISTEN on the appends channel, outside the pool, for as long as the
/// store runs.
///
/// A notification carries a fixture's id and is only a wake-up. Notifications sent while the connection is down
/// are lost, so each (re)LISTEN tells the node to read everything (``AppendNotifications/setListening(_:)``),
/// and the connection is made again after any failure, waiting 0.1 s, doubled after each failure in a row up to
/// ``maximumBackoff``. The connection runs no transaction (a listener inside one would hold up the server's
/// notification queue).
final class AppendListener: Sendable {
    let notifications = AppendNotifications()
    private let configuration: PostgresConnection.Configuration
    private let channel: String
    private let metrics: ListenerMetrics
    private let logger: Logger

    /// The longest wait between two attempts to listen again.
    static let maximumBackoff = Duration.seconds(2)

    init(
        configuration: PostgresConnection.Configuration, channel: String,
        metrics: ListenerMetrics = StoreMetrics.disabled.listener(), logger: Logger
    ) {
        self.configuration = configuration
        self.channel = channel
        self.metrics = metrics
        self.logger = logger
    }

    /// Listens until cancelled.
    func run() async {
        var delay = Duration.milliseconds(100)
        var attempt = 0
        var listenedBefore = false
        metrics.up.set(0)
        while !Task.isCancelled {
            attempt += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: attempt, logger: logger)
                do {
                    try await connection.listen(on: channel) { notifications in
                        self.notifications.setListening(true)
                        self.metrics.up.set(1)
                        if listenedBefore { self.metrics.reconnects.increment() }
                        listenedBefore = true
                        delay = .milliseconds(100)
                        for try await notification in notifications {
                            self.notifications.wake(Self.wakeUp(notification.payload))
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if !Task.isCancelled {
                    logger.warning("postgres: the listening connection failed: \(String(reflecting: error))")
                }
            }
            notifications.setListening(false)
            metrics.up.set(0)
            guard (try? await Task.sleep(for: delay)) != nil else { break }
            delay = min(delay * 2, Self.maximumBackoff)
        }
        notifications.setListening(false)
        metrics.up.set(0)
        notifications.finish()
    }

    /// The fixtures a payload names (ids separated by commas), or everything when it names none readable.
    static func wakeUp(_ payload: String) -> AppendNotifications.WakeUp {
        let ids = Set(payload.split(separator: ",").compactMap { UUID(uuidString: String($0)) })
        return ids.isEmpty ? .everything : .fixtures(ids)
    }
}
