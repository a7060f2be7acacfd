import Foundation

/// One action packet, as streamed and listed (protocol.md §4).
public struct Packet: Sendable, Hashable {
    public var traceId: String
    public var version: Int
    public var finished: Bool
    public var action: FixtureAction
    public var summary: FixtureSummary

    public init(traceId: String, version: Int = 3, action: FixtureAction, summary: FixtureSummary) {
        self.traceId = traceId
        self.version = version
        self.finished = summary.finished
        self.action = action
        self.summary = summary
    }

    /// The packet's JSON, the bytes stored, streamed and listed.
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(reservingCapacity: 1536)
        write(to: &writer)
        return writer.bytes
    }

    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("traceId"); writer.string(traceId)
        writer.key("version"); writer.int(version)
        writer.key("finished"); writer.bool(finished)
        writer.key("fixtureAction"); action.write(to: &writer)
        writer.key("fixtureSummary"); summary.write(to: &writer)
        writer.endObject()
    }

    /// Reads a packet from its JSON.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> Packet {
        try decode(JSONValue.parse(bytes))
    }

    /// Reads a packet from its parsed JSON. The metadata is kept as parsed, so its numbers keep their text as the
    /// scout sent them (through `Decoder` they would pass through `Decimal` or `Double`); the rest is read with
    /// `JSONDecoder`, whose errors name the key at fault.
    public static func decode(_ json: JSONValue) throws -> Packet {
        var metadata: JSONValue?
        var rest = json
        if case .object(var packet) = json, case .object(var action)? = packet["fixtureAction"] {
            metadata = action.removeValue(forKey: "metadata")
            packet["fixtureAction"] = .object(action)
            rest = .object(packet)
        }
        var decoded = try JSONDecoder().decode(Packet.self, from: Data(rest.jsonBytes))
        if let metadata, metadata != .null { decoded.action.metadata = metadata }
        return decoded
    }
}

/// The action part of a packet.
public struct FixtureAction: Sendable, Hashable {
    public var actionId: UUID
    public var fixtureId: UUID
    public var period: Int
    public var clockTime: ClockTime
    public var timestamp: Timestamp
    public var sendType: SendType
    public var fixtureSeqNum: Int
    public var timelineSequence: TimelineSequence
    public var actionTypeId: Int
    public var actionType: String
    public var subType: ActionSubType?
    public var team: TeamRef?
    public var player: PlayerRef?
    public var metadata: JSONValue?
    public var relatedActionIds: [UUID]

    public init(
        actionId: UUID, fixtureId: UUID, period: Int, clockTime: ClockTime, timestamp: Timestamp, sendType: SendType,
        fixtureSeqNum: Int, actionTypeId: Int, actionType: String, subType: ActionSubType? = nil,
        team: TeamRef? = nil, player: PlayerRef? = nil, metadata: JSONValue? = nil, relatedActionIds: [UUID] = []
    ) {
        self.actionId = actionId
        self.fixtureId = fixtureId
        self.period = period
        self.clockTime = clockTime
        self.timestamp = timestamp
        self.sendType = sendType
        self.fixtureSeqNum = fixtureSeqNum
        self.timelineSequence = TimelineSequence(period: period, fixtureSeqNum: fixtureSeqNum)
        self.actionTypeId = actionTypeId
        self.actionType = actionType
        self.subType = subType
        self.team = team
        self.player = player
        self.metadata = metadata
        self.relatedActionIds = relatedActionIds
    }

    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        if let team {
            writer.key("team"); team.write(to: &writer)
        }
        if let player {
            writer.key("player")
            writer.beginObject()
            writer.key("id"); writer.string(player.id.wire)
            if let name = player.name {
                writer.key("name"); writer.string(name)
            }
            writer.endObject()
        }
        writer.key("period"); writer.int(period)
        writer.key("actionId"); writer.string(actionId.wire)
        if let metadata {
            writer.key("metadata"); writer.value(metadata)
        }
        writer.key("sendType"); writer.string(sendType.name)
        writer.key("clockTime"); writer.string(clockTime.description)
        writer.key("fixtureId"); writer.string(fixtureId.wire)
        writer.key("timestamp"); writer.string(timestamp.description)
        writer.key("sendTypeId"); writer.int(sendType.rawValue)
        writer.key("fixtureSeqNum"); writer.int(fixtureSeqNum)
        writer.key("timelineSequence"); writer.rawNumber(timelineSequence.description)
        writer.key("fixtureActionType"); writer.string(actionType)
        writer.key("fixtureActionTypeId"); writer.int(actionTypeId)
        if let subType {
            writer.key("fixtureActionSubType"); writer.string(subType.name)
            writer.key("fixtureActionSubTypeId"); writer.int(subType.id)
        }
        writer.key("relatedFixtureActionIds")
        writer.beginArray()
        for id in relatedActionIds { writer.string(id.wire) }
        writer.endArray()
        writer.endObject()
    }
}

/// The state of the match after a packet.
public struct FixtureSummary: Sendable, Hashable {
    public var homeTeamScore: Int
    public var awayTeamScore: Int
    public var periods: [PeriodState]
    public var currentPeriod: Int
    public var currentStatus: FixtureStatus
    public var collectionStatus: CollectionStatus
    public var currentClockTime: ClockTime
    public var clockRunning: Bool
    public var isHomeTeamInPossession: Bool
    public var finished: Bool

    public var isTied: Bool { homeTeamScore == awayTeamScore }

    /// The summary of `state` as seen at `time` (the clock runs between packets).
    public init(_ state: MatchState, at time: Timestamp) {
        homeTeamScore = state.homeScore
        awayTeamScore = state.awayScore
        periods = state.periods
        currentPeriod = state.currentPeriod
        currentStatus = state.status
        collectionStatus = state.collectionStatus
        currentClockTime = state.clock.value(at: time)
        clockRunning = state.clock.isRunning(at: time)
        isHomeTeamInPossession = state.homeInPossession
        finished = state.finished
    }

    public init(
        homeTeamScore: Int, awayTeamScore: Int, periods: [PeriodState], currentPeriod: Int,
        currentStatus: FixtureStatus, collectionStatus: CollectionStatus, currentClockTime: ClockTime,
        clockRunning: Bool, isHomeTeamInPossession: Bool, finished: Bool
    ) {
        self.homeTeamScore = homeTeamScore
        self.awayTeamScore = awayTeamScore
        self.periods = periods
        self.currentPeriod = currentPeriod
        self.currentStatus = currentStatus
        self.collectionStatus = collectionStatus
        self.currentClockTime = currentClockTime
        self.clockRunning = clockRunning
        self.isHomeTeamInPossession = isHomeTeamInPossession
        self.finished = finished
    }

    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("isTied"); writer.bool(isTied)
        writer.key("periods")
        writer.beginArray()
        for period in periods {
            writer.beginObject()
            writer.key("id"); writer.int(period.id)
            writer.key("end")
            if let end = period.end { writer.string(end.dateTimeText) } else { writer.null() }
            writer.key("type"); writer.string(period.type.rawValue)
            writer.key("label"); writer.string(period.label)
            writer.key("start"); writer.string(period.start.dateTimeText)
            writer.key("awayTeamScore"); writer.int(period.awayScore)
            writer.key("homeTeamScore"); writer.int(period.homeScore)
            writer.key("awayTeamPeriodScore"); writer.int(period.awayPeriodScore)
            writer.key("homeTeamPeriodScore"); writer.int(period.homePeriodScore)
            writer.endObject()
        }
        writer.endArray()
        writer.key("finished"); writer.bool(finished)
        writer.key("awayTeamScore"); writer.int(awayTeamScore)
        writer.key("currentPeriod"); writer.int(currentPeriod)
        writer.key("currentStatus"); writer.string(currentStatus.name)
        writer.key("homeTeamScore"); writer.int(homeTeamScore)
        writer.key("collectionStatus"); writer.string(collectionStatus.name)
        writer.key("currentClockTime"); writer.string(currentClockTime.description)
        writer.key("currentClockState"); writer.string(clockRunning ? "running" : "stopped")
        writer.key("isHomeTeamInPossesion"); writer.bool(isHomeTeamInPossession)
        writer.endObject()
    }
}
