import Foundation

/// The running totals of a fixture's counting actions, per team (protocol.md §5): the aggregates a statistics
/// packet carries, as a value.
///
/// What counts: every action with a team whose latest packet is Confirmed, Updated or Restored, under its latest
/// type and sub type. Pending never counts; a Deleted or Cancelled action leaves the totals; a correction moves
/// the action from its old type or sub type to its new one. The engine changes the totals one action at a time
/// (``replacing(_:with:)``), and after every packet they equal a fresh count of every action's latest state
/// (``init(counting:)``): both build the same value, zero totals removed.
public struct FixtureStatistics: Sendable, Hashable {
    /// What one action adds to the totals: one under its team, its type and, when it has one, its sub type.
    public struct Entry: Sendable, Hashable {
        public let side: Side
        public let typeId: Int
        public let subTypeId: Int?

        public init(side: Side, typeId: Int, subTypeId: Int?) {
            self.side = side
            self.typeId = typeId
            self.subTypeId = subTypeId
        }
    }

    /// One action type's total for a team, and the totals of its sub types (those above zero).
    public struct TypeTotal: Sendable, Hashable {
        public var count = 0
        public var subTypes: [Int: Int] = [:]
    }

    /// Per team, per action type id: only types with a total above zero.
    public private(set) var teams: [Side: [Int: TypeTotal]] = [:]

    /// No action counted.
    public init() {}

    /// The totals of these entries, counted from nothing: what the incremental totals must always equal.
    public init(counting entries: some Sequence<Entry>) {
        for entry in entries { add(entry, by: 1) }
    }

    public var isEmpty: Bool { teams.isEmpty }

    /// The total of a type for a team (0 when none counted), or of one of its sub types.
    public func count(_ side: Side, typeId: Int, subTypeId: Int? = nil) -> Int {
        guard let total = teams[side]?[typeId] else { return 0 }
        guard let subTypeId else { return total.count }
        return total.subTypes[subTypeId] ?? 0
    }

    /// The totals with one action's contribution changed from `old` to `new` (nil: it does not count).
    public func replacing(_ old: Entry?, with new: Entry?) -> FixtureStatistics {
        guard old != new else { return self }
        var next = self
        if let old { next.add(old, by: -1) }
        if let new { next.add(new, by: 1) }
        return next
    }

    private mutating func add(_ entry: Entry, by step: Int) {
        var types = teams[entry.side] ?? [:]
        var total = types[entry.typeId] ?? TypeTotal()
        total.count += step
        if let subTypeId = entry.subTypeId {
            let count = (total.subTypes[subTypeId] ?? 0) + step
            total.subTypes[subTypeId] = count == 0 ? nil : count
        }
        types[entry.typeId] = total.count == 0 ? nil : total
        teams[entry.side] = types.isEmpty ? nil : types
    }
}

extension FixtureStatistics.Entry {
    /// What an action adds to the totals, given its latest send type and content: nothing when it does not count
    /// or has no team.
    init?(latest: SendType, content: ResolvedAction) {
        guard latest.counts, let side = content.side else { return nil }
        self.init(side: side, typeId: content.definition.id, subTypeId: content.subType?.id)
    }
}

/// One statistics packet (protocol.md §5): a full snapshot of the totals, made when an action packet changed
/// them (or set `finished`), with its own gapless `seqNum` per fixture.
public struct StatisticsPacket: Sendable, Hashable {
    public var seqNum: Int
    public var traceId: String
    public var version = 3
    public var finished: Bool
    public var fixtureId: UUID
    /// The action packet that caused it: its timestamp and number.
    public var timestamp: Timestamp
    public var fixtureSeqNum: Int
    public var statistics: FixtureStatistics

    public init(
        seqNum: Int, traceId: String, finished: Bool, fixtureId: UUID, timestamp: Timestamp, fixtureSeqNum: Int,
        statistics: FixtureStatistics
    ) {
        self.seqNum = seqNum
        self.traceId = traceId
        self.finished = finished
        self.fixtureId = fixtureId
        self.timestamp = timestamp
        self.fixtureSeqNum = fixtureSeqNum
        self.statistics = statistics
    }

    /// What the statistics endpoint answers before the first statistics packet: `seqNum` 0, no aggregates, a
    /// `traceId` of zeros, `fixtureSeqNum` 0, the fixture's start time as `timestamp`.
    public static func none(of fixture: Fixture) -> StatisticsPacket {
        StatisticsPacket(
            seqNum: 0, traceId: String(repeating: "0", count: 32), finished: false, fixtureId: fixture.id,
            timestamp: fixture.startDate.wholeMillisecond, fixtureSeqNum: 0, statistics: FixtureStatistics())
    }

    /// The packet's JSON: both teams, home first; within a team, action types by id, sub types by id; the
    /// names from the sport's catalogue, the teams as the fixture names them.
    public func jsonBytes(fixture: Fixture) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 1024)
        writer.beginObject()
        writer.key("seqNum"); writer.int(seqNum)
        writer.key("traceId"); writer.string(traceId)
        writer.key("version"); writer.int(version)
        writer.key("finished"); writer.bool(finished)
        writer.key("fixtureId"); writer.string(fixtureId.wire)
        writer.key("timestamp"); writer.string(timestamp.description)
        writer.key("fixtureSeqNum"); writer.int(fixtureSeqNum)
        writer.key("teamActionAggregates")
        writer.beginArray()
        let catalogue = fixture.sport.catalogue
        for (side, team) in [(Side.home, fixture.home), (.away, fixture.away)] {
            writer.beginObject()
            writer.key("team"); team.write(to: &writer)
            writer.key("gameActionAggregates")
            writer.beginArray()
            for (typeId, total) in (statistics.teams[side] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let definition = catalogue.definition(id: typeId)
                writer.beginObject()
                writer.key("action"); writer.string(definition?.name ?? String(typeId))
                writer.key("actionId"); writer.int(typeId)
                writer.key("actionAggregate"); writer.int(total.count)
                writer.key("subActionAggregates")
                writer.beginArray()
                for (subTypeId, count) in total.subTypes.sorted(by: { $0.key < $1.key }) {
                    writer.beginObject()
                    writer.key("subAction")
                    writer.string(definition?.subTypes.first { $0.id == subTypeId }?.name ?? String(subTypeId))
                    writer.key("subActionId"); writer.int(subTypeId)
                    writer.key("subActionAggregate"); writer.int(count)
                    writer.endObject()
                }
                writer.endArray()
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
