import Foundation
import MatchwireCore

/// One stored packet: its bytes as served, plus what is needed to rebuild the fixture's engine after a restart.
public struct StoredPacket: Sendable, Hashable {
    public let fixtureId: UUID
    public let seqNum: Int
    public let period: Int
    public let actionId: UUID
    public let sendType: SendType
    public let traceId: String
    /// When the server received the action: the default for a missing timestamp.
    public let receivedAt: Timestamp
    /// The action as the scout sent it, in the ingest format.
    public let submission: [UInt8]
    /// The packet's JSON, exactly as streamed and listed.
    public let bytes: [UInt8]
    /// The statistics packet this packet made (it changed the totals, or finished the fixture), stored with it.
    public let statistics: StoredStatistics?

    public init(
        fixtureId: UUID, seqNum: Int, period: Int, actionId: UUID, sendType: SendType, traceId: String,
        receivedAt: Timestamp, submission: [UInt8], bytes: [UInt8], statistics: StoredStatistics? = nil
    ) {
        self.fixtureId = fixtureId
        self.seqNum = seqNum
        self.period = period
        self.actionId = actionId
        self.sendType = sendType
        self.traceId = traceId
        self.receivedAt = receivedAt
        self.submission = submission
        self.bytes = bytes
        self.statistics = statistics
    }
}

extension Sequence<StoredPacket> {
    /// The statistics packets these packets made, each with its fixture: the rows a store writes beside them.
    var madeStatistics: [(fixtureId: UUID, statistics: StoredStatistics)] {
        compactMap { packet in packet.statistics.map { (packet.fixtureId, $0) } }
    }
}

/// A stored packet that does not replay through the engine when a fixture's state is rebuilt: a server fault
/// (the rules changed under stored data), never the client's.
public struct ReplayFailure: Error, CustomStringConvertible {
    public let fixtureId: UUID
    public let seqNum: Int

    public init(fixtureId: UUID, seqNum: Int) {
        self.fixtureId = fixtureId
        self.seqNum = seqNum
    }

    public var description: String { "stored packet \(seqNum) of fixture \(fixtureId.wire) did not replay" }
}

/// One stored statistics packet (protocol.md §5): its own number in the fixture's statistics sequence, the
/// number of the action packet that made it, and its JSON, exactly as served.
public struct StoredStatistics: Sendable, Hashable {
    public let seqNum: Int
    public let fixtureSeqNum: Int
    /// When the server received the action packet that made it (read from that packet's row, not stored twice):
    /// the media stream holds it back until this time plus the delay, as it does the action packet.
    public let receivedAt: Timestamp
    public let bytes: [UInt8]

    public init(seqNum: Int, fixtureSeqNum: Int, receivedAt: Timestamp, bytes: [UInt8]) {
        self.seqNum = seqNum
        self.fixtureSeqNum = fixtureSeqNum
        self.receivedAt = receivedAt
        self.bytes = bytes
    }

    /// A statistics packet the engine made, encoded once, with the fixture's teams as they are named now.
    public init(_ packet: StatisticsPacket, fixture: Fixture, receivedAt: Timestamp) {
        self.init(
            seqNum: packet.seqNum, fixtureSeqNum: packet.fixtureSeqNum, receivedAt: receivedAt,
            bytes: packet.jsonBytes(fixture: fixture))
    }
}

/// The order of a fixture's packets in the actions list.
public enum PacketOrder: Sendable {
    /// By `fixtureSeqNum`: while the fixture is not finished.
    case seqNum
    /// By `timelineSequence`, then `fixtureSeqNum`: once it is finished.
    case timeline
}

/// Which fixtures of a sport to list, in which order, which page.
public struct FixtureQuery: Sendable, Hashable {
    public enum SortField: String, Sendable, CaseIterable { case name, startTime }

    public var sport: Sport
    public var status: FixtureStatus?
    /// First day included, `YYYY-MM-DD`, on the start date.
    public var dateFrom: String?
    /// Last day included.
    public var dateTo: String?
    public var sort: [(field: SortField, ascending: Bool)]
    /// Page number from 0 and page size; nil: every fixture.
    public var page: (number: Int, size: Int)?

    public init(
        sport: Sport, status: FixtureStatus? = nil, dateFrom: String? = nil, dateTo: String? = nil,
        sort: [(field: SortField, ascending: Bool)] = [(.startTime, true), (.name, true)],
        page: (number: Int, size: Int)? = nil
    ) {
        self.sport = sport
        self.status = status
        self.dateFrom = dateFrom
        self.dateTo = dateTo
        self.sort = sort
        self.page = page
    }

    public static func == (lhs: FixtureQuery, rhs: FixtureQuery) -> Bool {
        lhs.sport == rhs.sport && lhs.status == rhs.status && lhs.dateFrom == rhs.dateFrom && lhs.dateTo == rhs.dateTo
            && lhs.sort.map(\.field) == rhs.sort.map(\.field) && lhs.sort.map(\.ascending) == rhs.sort.map(\.ascending)
            && lhs.page?.number == rhs.page?.number && lhs.page?.size == rhs.page?.size
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(sport)
        hasher.combine(status)
        hasher.combine(dateFrom)
        hasher.combine(dateTo)
    }
}

/// A page of fixtures and the number of fixtures matching the query.
public struct FixturePage: Sendable {
    public let fixtures: [Fixture]
    public let totalElements: Int
}

/// What a store refuses.
public enum StoreError: Error, Sendable, Equatable {
    /// A fixture or token with this id or name exists already.
    case duplicate(String)
    /// The packets do not continue the fixture's sequence: another writer got there first.
    case sequenceConflict(fixtureId: UUID, expected: Int, got: Int)
    /// No fixture with this id.
    case unknownFixture(UUID)
    /// The database was written by a newer version of Matchwire, whose schema this one does not know.
    case newerSchema(version: Int, known: Int)
    /// A stored row that cannot be read back (named: which row of what).
    case corruptRow(String)
    /// The fixture's record was changed (PATCH, DELETE) since the packets or the change were made from it,
    /// by another request or another node: read it again and redo the work.
    case fixtureChanged(UUID)
    /// The store cannot be reached or did not answer in time. The sentence is ours; the driver's error is logged,
    /// never shown to a client. A write that timed out may still commit later: the caller retries an idempotent
    /// write.
    case unavailable(String)
}

extension StoreError {
    /// What a failed store operation throws as it is: the store's own refusals, and a cancellation (a cancelled
    /// caller, such as a stream whose client left, is not a store failure). Nil for anything else, the driver's
    /// errors, which each store logs and turns into `unavailable` with a sentence of its own.
    static func passingThrough(_ error: any Error) -> (any Error)? {
        if error is StoreError { return error }
        if error is CancellationError || Task.isCancelled { return CancellationError() }
        return nil
    }
}

extension StoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .duplicate(let what): "A \(what) exists already."
        case .sequenceConflict(let fixtureId, let expected, let got):
            "Packets of fixture \(fixtureId.wire) must continue at \(expected), not \(got)."
        case .unknownFixture(let id): "Fixture \(id.wire) does not exist."
        case .newerSchema(let version, let known):
            "The database has schema version \(version); this Matchwire knows versions up to \(known). Use a newer Matchwire."
        case .corruptRow(let what): "The stored \(what) cannot be read."
        case .fixtureChanged(let id): "Fixture \(id.wire) was changed meanwhile."
        case .unavailable(let why): why
        }
    }
}

/// Where fixtures, packets and tokens are kept. Every implementation passes the same contract tests
/// (`EventStoreContract`), so callers never depend on which one runs.
///
/// `append` is the one write on the hot path: it must be atomic (all packets or none) and durable before
/// it returns, because the ingest answer is sent right after.
public protocol EventStore: Sendable {
    /// A description for the start-up log line, such as `sqlite ./matchwire.sqlite`.
    var description: String { get }

    func insertFixture(_ fixture: Fixture) async throws
    /// Replaces the stored fixture with the same id, when it is still as `previous` (the record the change was
    /// made from: same `updateCount`, same `lastSeqNum`); otherwise `fixtureChanged`, and nothing is written.
    /// Another node may have changed the fixture or appended to it since it was read.
    func updateFixture(_ fixture: Fixture, replacing previous: Fixture) async throws
    /// The stored fixture, with `lastSeqNum` its last stored packet's (0 before the first).
    func fixture(id: UUID) async throws -> Fixture?
    func fixtures(_ query: FixtureQuery) async throws -> FixturePage

    /// Stores packets that continue the fixture's sequence (the first is the last stored + 1) and, when they
    /// changed it (`recordChanged`, its status say), the fixture as it is after them, atomically and durably.
    /// `fixture` is the fixture as the packets leave it. A fixture's `lastSeqNum` is always its last packet's.
    ///
    /// Refused, with nothing written: `sequenceConflict` when the packets do not continue the sequence (another
    /// writer, on another node perhaps, got there first), `fixtureChanged` when the stored record's `updateCount`
    /// is not `fixture.updateCount` (it was changed since the packets were made), `unknownFixture`.
    func append(_ packets: [StoredPacket], fixture: Fixture, recordChanged: Bool) async throws
    /// Packets with `fixtureSeqNum` greater than `seqNum`, in sequence order, at most `limit`.
    func packets(fixtureId: UUID, after seqNum: Int, limit: Int) async throws -> [StoredPacket]
    /// The packet bytes of a fixture in the order asked for.
    func packetBytes(fixtureId: UUID, order: PacketOrder) async throws -> [[UInt8]]
    /// The highest stored `fixtureSeqNum` of the fixture, 0 when none.
    func lastSeqNum(fixtureId: UUID) async throws -> Int
    /// Statistics packets with `seqNum` greater than `seqNum`, in order, at most `limit`.
    func statistics(fixtureId: UUID, after seqNum: Int, limit: Int) async throws -> [StoredStatistics]
    /// The fixture's last statistics packet, nil before the first.
    func latestStatistics(fixtureId: UUID) async throws -> StoredStatistics?
    /// Stores statistics packets that the fixture's stored packets made but the store lacks (packets stored
    /// before the store kept statistics); one it has already is left as it is. Each must belong to a stored
    /// packet of the fixture.
    func insertMissingStatistics(_ statistics: [StoredStatistics], fixtureId: UUID) async throws

    func insertToken(_ token: TokenRecord) async throws
    func token(hash: String) async throws -> TokenRecord?
    func tokens() async throws -> [TokenRecord]
    /// Marks the named token revoked. Returns false when there is no such token.
    func revokeToken(name: String) async throws -> Bool

    func close() async throws

    /// Word of packets appended by other processes sharing the store (other nodes), nil for a store that only
    /// this process writes to.
    var appendNotifications: AppendNotifications? { get }

    /// Says, without a read, whether the tokens may have changed (stored or revoked, by any process), so that a
    /// server may keep the tokens it checked in memory. Nil: the store cannot tell without a read, and every
    /// check reads the token.
    var tokenChanges: TokenChanges? { get }

    /// The fixture as a read would return it now, when the store keeps it in memory (read lately and not written
    /// since); nil when a read is needed. Never a fixture that a read would not find. Lets a stream's
    /// connect be decided without a read. A store shared by several nodes keeps nothing: another node may have
    /// written any fixture.
    func keptFixture(id: UUID) -> Fixture?
}

extension EventStore {
    public var appendNotifications: AppendNotifications? { nil }
    public var tokenChanges: TokenChanges? { nil }
    public func keptFixture(id: UUID) -> Fixture? { nil }
}

extension EventStore {
    /// Stores the statistics packets of a fixture whose packets were stored before statistics were kept: its
    /// stored actions are replayed through a new engine of its own (nothing is kept in memory), and the
    /// statistics packets the replay makes that the store lacks are stored (the same bytes on every node, so
    /// that two doing this at once store each once). Does nothing for a fixture that has statistics already or
    /// no packets. Throws `ReplayFailure` when a stored action no longer replays.
    public func backfillStatistics(of fixture: Fixture) async throws {
        guard fixture.lastSeqNum > 0, try await latestStatistics(fixtureId: fixture.id) == nil else { return }
        try await insertMissingStatistics(try await replay(fixture).missingStatistics, fixtureId: fixture.id)
    }

    /// A new engine for the fixture, given every stored packet's submission in order, and the statistics packets
    /// the replay made for packets stored without one (before statistics were kept). Throws `ReplayFailure`
    /// when a stored action no longer replays: the store holds what the engine no longer accepts, a server
    /// fault (500), never the client's (422).
    public func replay(_ fixture: Fixture) async throws -> (
        engine: FixtureEngine, missingStatistics: [StoredStatistics]
    ) {
        var engine = try FixtureEngine(fixture: fixture)
        var missing: [StoredStatistics] = []
        while true {
            let batch = try await packets(fixtureId: fixture.id, after: engine.lastSeqNum, limit: 1000)
            if batch.isEmpty { break }
            for packet in batch {
                let outcome = try? engine.ingest(
                    ActionSubmission(json: JSONValue.parse(packet.submission)), receivedAt: packet.receivedAt,
                    traceId: packet.traceId)
                guard case .stored(let replayed) = outcome, replayed.action.fixtureSeqNum == packet.seqNum else {
                    throw ReplayFailure(fixtureId: fixture.id, seqNum: packet.seqNum)
                }
                if let made = engine.lastStatisticsPacket, packet.statistics == nil {
                    missing.append(StoredStatistics(made, fixture: fixture, receivedAt: packet.receivedAt))
                }
            }
        }
        return (engine, missing)
    }

    /// A fixture's actions list, the body of `GET /{S}/fixtures/{id}/actions`: its packets in
    /// `timelineSequence` order once finished, in `fixtureSeqNum` order before.
    public func actionsList(of fixture: Fixture) async throws -> [UInt8] {
        JSONWriter.array(
            of: try await packetBytes(fixtureId: fixture.id, order: fixture.finished ? .timeline : .seqNum))
    }
}
