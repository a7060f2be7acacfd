import Foundation
import Logging
import MatchwireStore
import ServiceLifecycle

/// Brings packets that other nodes stored to this node's subscribers, through the same hub as local ingests.
///
/// When several nodes share one store, a packet ingested on node A is published by A's writer to A's hub only.
/// Every other node reads it from the store: when the store says another node appended (a PostgreSQL NOTIFY,
/// ``AppendNotifications``) and, in case a notification was lost, every `pollInterval` whatever it says. Both
/// read each subscribed fixture's packets after the last number its hub published (``StoreCatchUp``), so
/// correctness never depends on a notification, and a packet is published once whichever path reads it first.
///
/// Only topics (a fixture's actions, its statistics) with subscribers on this node are read: others have nobody to deliver to, and a new subscriber
/// reads the store itself.
struct CrossNodeDelivery: Service {
    let notifications: AppendNotifications
    let catchUp: StoreCatchUp
    let hub: StreamHub
    let pollInterval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await wakeUp in notifications.wakeUps {
                        hub.metrics.crossNodeWakeUps.notify.increment()
                        switch wakeUp {
                        case .everything: await readSubscribed(nil)
                        case .fixtures(let ids): await readSubscribed(ids)
                        }
                    }
                }
                group.addTask {
                    while (try? await Task.sleep(for: pollInterval)) != nil {
                        hub.metrics.crossNodeWakeUps.timer.increment()
                        await readSubscribed(nil)
                    }
                }
            }
        }
    }

    /// Reads the new packets of the subscribed topics of `fixtures` (of all fixtures when nil), concurrently.
    /// A wake-up names a fixture: its actions and its statistics were stored in the same transaction.
    private func readSubscribed(_ fixtures: Set<UUID>?) async {
        let subscribed = hub.subscribedTopics.filter { fixtures?.contains($0.fixtureId) ?? true }
        await withDiscardingTaskGroup { group in
            for topic in subscribed {
                group.addTask {
                    do {
                        try await catchUp.run(topic)
                    } catch {
                        // The store is unreachable: the next wake-up or poll reads again; the streams stay open.
                        logger.debug("reading the \(topic) stored by other nodes failed: \(error)")
                    }
                }
            }
        }
    }
}
