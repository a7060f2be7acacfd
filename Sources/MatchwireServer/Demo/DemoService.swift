import Foundation
import Logging
import MatchwireCore
import MatchwireStore
import ServiceLifecycle

/// `serve --demo`: keeps one simulated live fixture per sport running, a new one starting when one ends, and
/// on first start stores a few completed simulated fixtures per sport to replay.
///
/// A live demo match joins its generated match at Start Fixture: the pre-match actions are stored at once, and
/// play follows in real time (or `speed` times faster), so data flows within seconds of the start. Its actions
/// go through the same `FixtureWriters` as the HTTP ingest, so streams and the REST list see them as if a
/// scout had sent them.
public struct DemoService: Service {
    let store: any EventStore
    let writers: FixtureWriters
    let speed: Double
    let seedCompleted: Bool
    let logger: Logger

    /// Completed fixtures stored per sport on first start.
    public static let completedPerSport = 2
    static let competition = Competition(
        id: UUID(uuidString: "d3e0c0de-0000-4000-8000-00000000d3e0") ?? UUID(), name: "Matchwire demo")

    public init(store: any EventStore, writers: FixtureWriters, speed: Double, seedCompleted: Bool, logger: Logger) {
        self.store = store
        self.writers = writers
        self.speed = speed
        self.seedCompleted = seedCompleted
        self.logger = logger
    }

    public func run() async throws {
        try await dropUnfinished()
        // Every sport at once: a sport's live match starts as soon as its own completed fixtures are stored, not
        // after those of every sport (each sport added made the last one's live match wait longer).
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sport in Sport.allCases {
                    group.addTask {
                        do {
                            if self.seedCompleted { try await self.storeCompleted(sport) }
                        } catch is CancellationError {
                            return
                        }
                        try await self.keepPlaying(sport)
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// Demo matches left unfinished by an earlier run are dropped (Status Updated: Abandoned, CollectionDropped),
    /// so no demo fixture stays Live for ever.
    private func dropUnfinished() async throws {
        for sport in Sport.allCases {
            for fixture in try await store.fixtures(FixtureQuery(sport: sport)).fixtures
            where fixture.competition == Self.competition && fixture.type == .simulation {
                guard [.scheduled, .live].contains(fixture.status) else { continue }
                let drop = ActionSubmission(
                    actionId: UUID(), actionType: .id(CommonAction.statusUpdated),
                    metadata: ["fixtureStatus": 4, "collectionStatus": 4])
                try await writers.ingest([drop], fixtureId: fixture.id, receivedAt: .now)
                logger.info("demo: \(sport.rawValue) fixture \(fixture.id.wire) left unfinished is dropped")
            }
        }
    }

    /// Live matches of one sport, one after another, until shutdown.
    private func keepPlaying(_ sport: Sport) async throws {
        // Each sport its own sequence of seeds, so that the three live matches differ.
        let sportNumber = UInt64(Sport.allCases.firstIndex(of: sport) ?? 0)
        var seeds = SeededGenerator(seed: UInt64(Date().timeIntervalSince1970) &+ sportNumber &* 1_000_003)
        while !Task.isCancelled {
            do {
                try await playLive(sport, seed: seeds.next())
            } catch is CancellationError {
                return
            } catch {
                logger.error("demo \(sport.rawValue) match stopped: \(error)")
                try await Task.sleep(for: .seconds(30))
            }
            try await Task.sleep(for: .seconds(10))
        }
    }

    private func playLive(_ sport: Sport, seed: UInt64) async throws {
        var fixture = try Self.fixture(sport, seed: seed, start: .now)
        let playStart = Timestamp.now
        // Joined at Start Fixture: the pre-match actions lie in the past and are stored at once.
        let actions = try MatchSimulator.match(for: fixture, seed: seed, start: playStart).kickingOff(at: playStart)
        fixture.startDate = (actions.first?.timestamp ?? .now).wholeSecond
        try await store.insertFixture(fixture)
        logger.info("demo: live \(sport.rawValue) fixture \(fixture.id.wire) (\(fixture.name))")

        let origin = ContinuousClock.now
        for action in actions {
            let ahead = Double(action.timestamp.microseconds - playStart.microseconds) / 1_000_000 / speed
            if ahead > 0 { try await Task.sleep(until: origin + .milliseconds(Int64(ahead * 1000))) }
            try await writers.ingest([action.submission], fixtureId: fixture.id, receivedAt: .now)
        }
        logger.info("demo: \(sport.rawValue) fixture \(fixture.id.wire) finished")
    }

    /// The sport's completed fixtures, on days before today.
    private func storeCompleted(_ sport: Sport) async throws {
        for index in 1...Self.completedPerSport {
            let start = Timestamp(microseconds: Timestamp.now.microseconds - Int64(index) * 86_400_000_000)
            try await storeCompleted(sport, start: start, seed: UInt64(index))
        }
    }

    /// A finished match stored at once, in arrays of a few hundred actions.
    private func storeCompleted(_ sport: Sport, start: Timestamp, seed: UInt64) async throws {
        let fixture = try Self.fixture(sport, seed: seed, start: start)
        let actions = try MatchSimulator.match(for: fixture, seed: seed, start: start)
        try await store.insertFixture(fixture)
        var index = 0
        while index < actions.count {
            let chunk = actions[index..<min(index + 300, actions.count)]
            try await writers.ingest(chunk.map(\.submission), fixtureId: fixture.id, receivedAt: .now)
            index += chunk.count
        }
        logger.info("demo: completed \(sport.rawValue) fixture \(fixture.id.wire) (\(fixture.name)) to replay")
    }

    /// A simulation fixture between two generated teams, under the sport's demo rules (soccer: cup ties).
    static func fixture(_ sport: Sport, seed: UInt64, start: Timestamp) throws -> Fixture {
        MatchSimulator.fixture(
            sport, seed: seed, start: start, rules: try sport.rules(sport.demoRules).rulesObject,
            competition: competition)
    }
}
