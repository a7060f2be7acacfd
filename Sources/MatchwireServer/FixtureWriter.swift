import Foundation
import Logging
import MatchwireCore
import MatchwireStore
import Synchronization

/// The one place where a fixture's actions become packets: checks, numbers, stores, in arrival order.
///
/// One writer per fixture on each node, serial through a lock that also covers the awaited store write, so two
/// requests for one fixture never interleave and never reuse or skip a `fixtureSeqNum`. Writers of different
/// fixtures run concurrently. The engine is rebuilt from the store the first time a fixture is written after
/// a start, by replaying the stored submissions. Once durable, the new packets go to the stream hub, still under
/// the lock, so subscribers get them in `fixtureSeqNum` order.
///
/// Several nodes may write one fixture. The store refuses an append whose numbers another node took first
/// (`sequenceConflict`) or made from a record changed since (`fixtureChanged`): the writer then rebuilds its
/// engine from the store, which now has the other node's packets, and checks the actions again, so that each
/// packet's summary follows from every packet before it, and an action is refused only for a rule it breaks.
actor FixtureWriter {
    let fixtureId: UUID
    private let store: any EventStore
    private let hub: StreamHub
    private let lock = AsyncSerialLock()
    private var engine: FixtureEngine?
    private let catchUp: StoreCatchUp

    /// How many times in a row an ingest or a change starts again after another node got there first, before
    /// it gives up with 503 (the scout retries).
    static let maximumRaces = 20

    init(fixtureId: UUID, store: any EventStore, hub: StreamHub) {
        self.fixtureId = fixtureId
        self.store = store
        self.hub = hub
        self.catchUp = StoreCatchUp(store: store, hub: hub)
    }

    /// What an ingest stored: the packet bytes in submission order, and how many of them are new (the others
    /// answer retries of actions stored before).
    struct Result: Sendable {
        var packets: [[UInt8]]
        var storedCount: Int
        var storedNew: Bool { storedCount > 0 }
    }

    /// Checks and stores an array of submissions, all or none. Answers once the packets are durable.
    func ingest(_ submissions: [ActionSubmission], receivedAt: Timestamp) async throws -> Result {
        try await lock.withLock {
            try await self.racing { try await self.ingestHoldingLock(submissions, receivedAt: receivedAt) }
        }
    }

    /// Applies `change` to the stored fixture and saves it, in turn with the ingests, while it has not started.
    func updateFixture(_ change: @Sendable (inout Fixture) throws -> Void) async throws -> Fixture {
        try await lock.withLock { try await self.racing { try await self.updateHoldingLock(change) } }
    }

    /// Runs `body` again, from a fresh read of the store, when another node appended to the fixture or changed
    /// it since this writer read it; at most ``maximumRaces`` times.
    private func racing<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var races = 0
        while true {
            do {
                return try await body()
            } catch let error as StoreError where races < Self.maximumRaces {
                switch error {
                case .sequenceConflict, .fixtureChanged:
                    races += 1
                    engine = nil
                default: throw error
                }
            }
        }
    }

    private func ingestHoldingLock(_ submissions: [ActionSubmission], receivedAt: Timestamp) async throws -> Result {
        var draft = try await loadEngine()
        if draft.fixture.fixtureDeleted {
            throw RuleViolation("Fixture \(fixtureId.wire) is deleted: it accepts no actions.")
        }
        // The draft is made the engine's only owner, so that it grows in place instead of being copied on every
        // ingest. A refused single action leaves it unchanged (the engine checks before it changes anything);
        // an array refused half way needs the engine as it was, kept aside.
        let before = submissions.count > 1 ? draft : nil
        let record = draft.fixture.following(draft)
        engine = nil
        let checked: Checked
        do {
            checked = try check(submissions, into: &draft, receivedAt: receivedAt)
        } catch {
            let kept = before ?? draft
            engine = kept
            // Another node may have stored actions or changed the fixture since this engine was made (a Pending
            // sent through it, its Confirmed through this one): a refusal stands only once the store says the
            // engine is current; otherwise the engine is rebuilt and the actions are checked again.
            if let stored = try? await store.fixture(id: fixtureId),
                stored.lastSeqNum != kept.lastSeqNum || stored.updateCount != kept.fixture.updateCount
            {
                throw StoreError.fixtureChanged(fixtureId)
            }
            throw error
        }
        if !checked.stored.isEmpty {
            // The fixture's record is written only when its status changed; its last number comes from the
            // packets. When this fails the store may hold more or less than thought: the engine is rebuilt.
            let changed = draft.fixture.following(draft)
            do {
                try await store.append(
                    checked.stored, fixture: changed,
                    recordChanged: changed.differs(from: record, beyond: \.lastSeqNum))
            } catch {
                // The append may have been committed before it failed (a connection that broke after the commit):
                // its packets go to the hub now, not when the scout retries, so that live streams do not wait.
                try? await catchUp.run(fixtureId: fixtureId)
                throw error
            }
            await publish(checked.published, content: .actions)
            await publish(checked.publishedStatistics, content: .statistics)
        }
        engine = draft
        var packets: [[UInt8]] = []
        for answer in checked.answers {
            switch answer {
            case .bytes(let bytes): packets.append(bytes)
            case .stored(let seqNum):
                guard let packet = try await store.packets(fixtureId: fixtureId, after: seqNum - 1, limit: 1).first
                else {
                    throw StoreError.unknownFixture(fixtureId)
                }
                packets.append(packet.bytes)
            }
        }
        return Result(packets: packets, storedCount: checked.stored.count)
    }

    /// What the engine made of a request's submissions: the new packets to store and publish, and an answer
    /// for each submission.
    private struct Checked {
        var stored: [StoredPacket] = []
        var published: [StreamPacket] = []
        var publishedStatistics: [StreamPacket] = []
        var answers: [Answer] = []
    }

    private func check(
        _ submissions: [ActionSubmission], into draft: inout FixtureEngine, receivedAt: Timestamp
    ) throws -> Checked {
        var checked = Checked()
        for (index, submission) in submissions.enumerated() {
            let traceId = Self.newTraceId()
            do {
                switch try draft.ingest(submission, receivedAt: receivedAt, traceId: traceId) {
                case .stored(let packet):
                    let bytes = packet.jsonBytes
                    checked.answers.append(.bytes(bytes))
                    checked.published.append(StreamPacket(packet: packet, receivedAt: receivedAt, bytes: bytes))
                    // The statistics packet this one made, if it changed the totals: encoded once, stored with it.
                    var statistics: StoredStatistics?
                    if let made = draft.lastStatisticsPacket {
                        let stored = StoredStatistics(made, fixture: draft.fixture, receivedAt: receivedAt)
                        statistics = stored
                        checked.publishedStatistics.append(
                            StreamPacket(statistics: made, receivedAt: receivedAt, bytes: stored.bytes))
                    }
                    checked.stored.append(
                        StoredPacket(
                            fixtureId: fixtureId, seqNum: packet.action.fixtureSeqNum, period: packet.action.period,
                            actionId: submission.actionId, sendType: submission.sendType, traceId: traceId,
                            receivedAt: receivedAt, submission: submission.json.jsonBytes, bytes: bytes,
                            statistics: statistics
                        ))
                case .duplicate(let seqNum):
                    checked.answers.append(.stored(seqNum))
                }
            } catch {
                throw IndexedRuleViolation(index: submissions.count > 1 ? index : nil, error)
            }
        }
        return checked
    }

    private enum Answer {
        case bytes([UInt8])
        case stored(Int)
    }

    private func updateHoldingLock(_ change: @Sendable (inout Fixture) throws -> Void) async throws -> Fixture {
        guard let stored = try await store.fixture(id: fixtureId) else { throw StoreError.unknownFixture(fixtureId) }
        var fixture = stored
        try change(&fixture)
        _ = try fixture.sport.rules(fixture.rules)
        try await store.updateFixture(fixture, replacing: stored)
        engine = nil  // teams or rules may have changed: rebuild on the next ingest
        return fixture
    }

    /// The engine as of the last stored packet, replaying the stored submissions when not in memory.
    private func loadEngine() async throws -> FixtureEngine {
        if let engine { return engine }
        guard let fixture = try await store.fixture(id: fixtureId) else { throw StoreError.unknownFixture(fixtureId) }
        // Packets stored before statistics were kept have none: the replay makes them again, and they are stored
        // (each the same on every node, so two nodes doing this at once store each once).
        let (rebuilt, missing) = try await store.replay(fixture)
        try await store.insertMissingStatistics(missing, fixtureId: fixtureId)
        try await catchUp.run(fixtureId: fixtureId)
        engine = rebuilt
        return rebuilt
    }

    /// Hands new packets of one topic of the fixture to the hub; when another node's packets come before them
    /// and were not published here yet, those are read from the store and published first, with these.
    private func publish(_ packets: [StreamPacket], content: StreamContent) async {
        let topic = StreamTopic(fixtureId: fixtureId, content: content)
        // The packets are committed: a failed read here must not fail the ingest. The cross-node delivery's
        // next poll fills the gap.
        if !hub.publish(packets, topic: topic) { try? await catchUp.run(topic) }
    }

    /// 32 lowercase hex digits, new for every packet.
    static func newTraceId() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return String(high, radix: 16).leftPadded(to: 16) + String(low, radix: 16).leftPadded(to: 16)
    }
}

/// The writers of the fixtures written since start, one per fixture. The HTTP ingest and the demo's simulated
/// scouts write through the same instance.
public final class FixtureWriters: Sendable {
    private struct Entry {
        let writer: FixtureWriter
        let sport: Sport
    }

    private let store: any EventStore
    private let hub: StreamHub
    private let writers = Mutex<[UUID: Entry]>([:])

    public init(store: any EventStore, hub: StreamHub) {
        self.store = store
        self.hub = hub
    }

    /// Checks and stores actions of a stored fixture, all or none, as an ingest request does.
    public func ingest(_ submissions: [ActionSubmission], fixtureId: UUID, receivedAt: Timestamp) async throws {
        _ = try await writer(forPath: fixtureId.wire, sport: nil).ingest(submissions, receivedAt: receivedAt)
    }

    /// The writer of the fixture a request path names, which must be stored and of `sport` (of any sport when
    /// nil): 404 otherwise, before any writer is made, so unknown ids never occupy memory. Fixtures are never
    /// removed and never change sport, so only the first request for a fixture reads the store.
    func writer(forPath text: String?, sport: Sport?) async throws -> FixtureWriter {
        let id = try UUID(fixturePath: text)
        if let entry = writers.withLock({ $0[id] }) {
            guard sport == nil || entry.sport == sport else { throw APIError.unknownFixture(id.wire, in: sport) }
            return entry.writer
        }
        let fixture = try await store.requireFixture(id: id, sport: sport)
        return writers.withLock { writers in
            if let entry = writers[id] { return entry.writer }
            let writer = FixtureWriter(fixtureId: id, store: store, hub: hub)
            writers[id] = Entry(writer: writer, sport: fixture.sport)
            return writer
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
