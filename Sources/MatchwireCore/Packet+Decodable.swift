import Foundation

// Reading packets back from JSON: for exports, imports and tests. The server itself never decodes the
// packets it stores; it serves their bytes.

extension Packet: Decodable {
    enum CodingKeys: String, CodingKey {
        case traceId, version, finished, fixtureAction, fixtureSummary
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        traceId = try container.decode(String.self, forKey: .traceId)
        version = try container.decode(Int.self, forKey: .version)
        finished = try container.decode(Bool.self, forKey: .finished)
        action = try container.decode(FixtureAction.self, forKey: .fixtureAction)
        summary = try container.decode(FixtureSummary.self, forKey: .fixtureSummary)
    }
}

extension FixtureAction: Decodable {
    enum CodingKeys: String, CodingKey {
        case actionId, fixtureId, period, clockTime, timestamp, sendType, sendTypeId, fixtureSeqNum, timelineSequence
        case fixtureActionType, fixtureActionTypeId, fixtureActionSubType, fixtureActionSubTypeId
        case team, player, metadata, relatedFixtureActionIds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        actionId = try container.decode(UUID.self, forKey: .actionId)
        fixtureId = try container.decode(UUID.self, forKey: .fixtureId)
        period = try container.decode(Int.self, forKey: .period)
        clockTime = try container.decodeWire(ClockTime.init, forKey: .clockTime, what: "a clock time")
        timestamp = try container.decode(Timestamp.self, forKey: .timestamp)
        let sendTypeId = try container.decode(Int.self, forKey: .sendTypeId)
        guard let sendType = SendType(rawValue: sendTypeId) else {
            throw DecodingError.dataCorruptedError(
                forKey: .sendTypeId, in: container, debugDescription: "unknown sendTypeId")
        }
        self.sendType = sendType
        fixtureSeqNum = try container.decode(Int.self, forKey: .fixtureSeqNum)
        let sequence = try container.decode(Decimal.self, forKey: .timelineSequence)
        guard let timeline = TimelineSequence(sequence) else {
            throw DecodingError.dataCorruptedError(
                forKey: .timelineSequence, in: container, debugDescription: "not period + seq × 1e-16")
        }
        timelineSequence = timeline
        actionType = try container.decode(String.self, forKey: .fixtureActionType)
        actionTypeId = try container.decode(Int.self, forKey: .fixtureActionTypeId)
        if let subTypeId = try container.decodeIfPresent(Int.self, forKey: .fixtureActionSubTypeId) {
            let name = try container.decodeIfPresent(String.self, forKey: .fixtureActionSubType) ?? ""
            subType = ActionSubType(subTypeId, name)
        }
        team = try container.decodeIfPresent(TeamRef.self, forKey: .team)
        player = try container.decodeIfPresent(PlayerRef.self, forKey: .player)
        metadata = try container.decodeIfPresent(JSONValue.self, forKey: .metadata)
        relatedActionIds = try container.decodeIfPresent([UUID].self, forKey: .relatedFixtureActionIds) ?? []
    }
}

extension FixtureSummary: Decodable {
    enum CodingKeys: String, CodingKey {
        case homeTeamScore, awayTeamScore, periods, currentPeriod, currentStatus, collectionStatus
        case currentClockTime, currentClockState, isHomeTeamInPossesion, finished
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        homeTeamScore = try container.decode(Int.self, forKey: .homeTeamScore)
        awayTeamScore = try container.decode(Int.self, forKey: .awayTeamScore)
        periods = try container.decode([PeriodState].self, forKey: .periods)
        currentPeriod = try container.decode(Int.self, forKey: .currentPeriod)
        currentStatus = try container.decodeWire(FixtureStatus.init(name:), forKey: .currentStatus, what: "a status")
        collectionStatus =
            try container.decodeIfPresent(String.self, forKey: .collectionStatus)
            .map { name in
                guard let status = CollectionStatus(name: name) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .collectionStatus, in: container, debugDescription: "unknown collection status")
                }
                return status
            } ?? .collectionScheduled
        currentClockTime = try container.decodeWire(ClockTime.init, forKey: .currentClockTime, what: "a clock time")
        clockRunning = try container.decodeIfPresent(String.self, forKey: .currentClockState) == "running"
        isHomeTeamInPossession = try container.decodeIfPresent(Bool.self, forKey: .isHomeTeamInPossesion) ?? true
        finished = try container.decodeIfPresent(Bool.self, forKey: .finished) ?? false
    }
}

extension PeriodState: Decodable {
    enum CodingKeys: String, CodingKey {
        case id, type, label, start, end, homeTeamScore, awayTeamScore, homeTeamPeriodScore, awayTeamPeriodScore
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        type = try container.decode(PeriodType.self, forKey: .type)
        label = try container.decode(String.self, forKey: .label)
        start = try container.decodeWire(Timestamp.init(localDateTime:), forKey: .start, what: "a date-time")
        end = try container.decodeIfPresent(String.self, forKey: .end).map { text in
            guard let value = Timestamp(localDateTime: text) else {
                throw DecodingError.dataCorruptedError(forKey: .end, in: container, debugDescription: "not a date-time")
            }
            return value
        }
        homeScore = try container.decode(Int.self, forKey: .homeTeamScore)
        awayScore = try container.decode(Int.self, forKey: .awayTeamScore)
        homePeriodScore = try container.decode(Int.self, forKey: .homeTeamPeriodScore)
        awayPeriodScore = try container.decode(Int.self, forKey: .awayTeamPeriodScore)
    }
}

extension KeyedDecodingContainer {
    /// Decodes a string and converts it with `parse`, naming what was expected when it fails.
    fileprivate func decodeWire<T>(_ parse: (String) -> T?, forKey key: Key, what: String) throws -> T {
        let text = try decode(String.self, forKey: key)
        guard let value = parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "'\(text)' is not \(what)")
        }
        return value
    }
}
