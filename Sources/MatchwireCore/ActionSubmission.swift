import Foundation

/// An action as a scout sends it to the ingest API (operations.md §3), checked field by field.
///
/// Kept as sent, without defaults filled in, so that a retry of the same request compares equal to the
/// stored one whatever time it arrives.
public struct ActionSubmission: Sendable, Hashable {
    /// The action type named by id, by name, or by both (which must then name the same action: checked against
    /// the sport's catalogue when the action is resolved).
    public enum TypeReference: Sendable, Hashable {
        case id(Int)
        case name(String)
        case both(id: Int, name: String)
    }

    public var actionId: UUID
    public var actionType: TypeReference
    public var sendType: SendType
    public var subTypeId: Int?
    public var teamId: UUID?
    public var player: PlayerRef?
    public var timestamp: Timestamp?
    public var clockTime: ClockTime?
    public var period: Int?
    public var metadata: JSONValue?
    public var relatedActionIds: [UUID]

    public init(
        actionId: UUID, actionType: TypeReference, sendType: SendType = .confirmed, subTypeId: Int? = nil,
        teamId: UUID? = nil, player: PlayerRef? = nil, timestamp: Timestamp? = nil, clockTime: ClockTime? = nil,
        period: Int? = nil, metadata: JSONValue? = nil, relatedActionIds: [UUID] = []
    ) {
        self.actionId = actionId
        self.actionType = actionType
        self.sendType = sendType
        self.subTypeId = subTypeId
        self.teamId = teamId
        self.player = player
        self.timestamp = timestamp
        self.clockTime = clockTime
        self.period = period
        self.metadata = metadata
        self.relatedActionIds = relatedActionIds
    }

    static let knownKeys: Set<String> = [
        "actionId", "fixtureActionTypeId", "fixtureActionType", "sendTypeId", "sendType", "fixtureActionSubTypeId",
        "team", "player", "timestamp", "clockTime", "period", "metadata", "relatedFixtureActionIds",
    ]

    /// Reads one action of an ingest body. Throws a sentence naming the first field that is wrong.
    public init(json: JSONValue) throws(RuleViolation) {
        guard let object = json.objectValue else {
            throw RuleViolation("An action must be a JSON object, not \(json.kindName).")
        }
        if let unknown = object.keys.sorted().first(where: { !Self.knownKeys.contains($0) }) {
            throw RuleViolation("Unknown field '\(unknown)' in an action.")
        }
        actionId = try Self.uuid(object["actionId"], field: "actionId")

        switch (object["fixtureActionTypeId"], object["fixtureActionType"]) {
        case (nil, nil):
            throw RuleViolation("fixtureActionTypeId or fixtureActionType is required.")
        case (let id?, nil):
            actionType = .id(try Self.integer(id, rule: "fixtureActionTypeId must be an integer"))
        case (let id?, let name?):
            let number = try Self.integer(id, rule: "fixtureActionTypeId must be an integer")
            guard let value = name.stringValue else { throw RuleViolation("fixtureActionType must be a string.") }
            actionType = .both(id: number, name: value)
        case (nil, let name?):
            guard let value = name.stringValue else { throw RuleViolation("fixtureActionType must be a string.") }
            actionType = .name(value)
        }

        switch (object["sendTypeId"], object["sendType"]) {
        case (nil, nil):
            sendType = .confirmed
        case (let id?, nil):
            sendType = try Self.sendType(id: id)
        case (let id?, let name?):
            let byId = try Self.sendType(id: id)
            let byName = try Self.sendType(name: name)
            guard byId == byName else {
                throw RuleViolation(
                    "sendTypeId \(byId.rawValue) (\(byId.name)) and sendType '\(byName.name)' contradict each other: "
                        + "send one of them, or both naming the same send type.")
            }
            sendType = byId
        case (nil, let name?):
            sendType = try Self.sendType(name: name)
        }

        if let value = object["fixtureActionSubTypeId"] {
            subTypeId = try Self.integer(value, rule: "fixtureActionSubTypeId must be an integer")
        }
        if let team = object["team"] {
            guard team.objectValue != nil else { throw RuleViolation("team must be an object {\"id\": uuid}.") }
            teamId = try Self.uuid(team["id"], field: "team.id")
        }
        if let player = object["player"] {
            guard player.objectValue != nil else {
                throw RuleViolation("player must be an object {\"id\": uuid, \"name\": string}.")
            }
            let id = try Self.uuid(player["id"], field: "player.id")
            var name: String?
            if let value = player["name"] {
                guard let text = value.stringValue else { throw RuleViolation("player.name must be a string.") }
                name = text
            }
            self.player = PlayerRef(id: id, name: name)
        }
        if let value = object["timestamp"] {
            guard let text = value.stringValue, let time = Timestamp(iso8601: text) else {
                throw RuleViolation("timestamp must be an ISO 8601 UTC time such as 2025-05-20T08:30:00.987Z.")
            }
            timestamp = time
        }
        if let value = object["clockTime"] {
            guard let text = value.stringValue, let clock = ClockTime(text) else {
                throw RuleViolation("clockTime must be \"mm:ss\".")
            }
            clockTime = clock
        }
        if let value = object["period"] {
            let number = try Self.integer(value, rule: "period must be a whole number from 0")
            guard number >= 0 else { throw RuleViolation("period must be a whole number from 0.") }
            period = number
        }
        if let value = object["metadata"] {
            guard value.objectValue != nil else { throw RuleViolation("metadata must be an object.") }
            metadata = value
        }
        relatedActionIds = []
        if let value = object["relatedFixtureActionIds"] {
            guard let ids = value.arrayValue else {
                throw RuleViolation("relatedFixtureActionIds must be an array of action ids.")
            }
            for id in ids {
                relatedActionIds.append(try Self.uuid(id, field: "relatedFixtureActionIds"))
            }
        }
    }

    private static func sendType(id: JSONValue) throws(RuleViolation) -> SendType {
        guard let value = id.intValue, let type = SendType(rawValue: value) else {
            throw RuleViolation("sendTypeId must be 1 (Pending) to 6 (Restored).")
        }
        return type
    }

    private static func sendType(name: JSONValue) throws(RuleViolation) -> SendType {
        guard let value = name.stringValue, let type = SendType(name: value) else {
            throw RuleViolation("sendType must be one of Pending, Updated, Cancelled, Deleted, Confirmed, Restored.")
        }
        return type
    }

    /// The value of an integer field, or `rule` as the refusal. A whole number too large for 64 bits (`1e308`, an
    /// integer of 400 digits) is refused with `rule` too, and says it is out of range, since it is whole.
    private static func integer(_ value: JSONValue, rule: String) throws(RuleViolation) -> Int {
        if let integer = value.intValue { return integer }
        if case .number(let number) = value, number.isWhole {
            throw RuleViolation("\(rule); \(number.shortText) is out of range.")
        }
        throw RuleViolation("\(rule).")
    }

    private static func uuid(_ value: JSONValue?, field: String) throws(RuleViolation) -> UUID {
        guard let value else { throw RuleViolation("\(field) is required.") }
        guard let text = value.stringValue, let id = UUID(uuidString: text) else {
            throw RuleViolation("\(field) must be a UUID such as 8a57b9c5-f3ef-4509-a831-64a3efd42932.")
        }
        return id
    }

    /// The submission as JSON in the ingest format: reading it back gives an equal submission.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "actionId": .string(actionId.wire), "sendTypeId": .number(sendType.rawValue),
        ]
        switch actionType {
        case .id(let id): object["fixtureActionTypeId"] = .number(id)
        case .name(let name): object["fixtureActionType"] = .string(name)
        case .both(let id, let name):
            object["fixtureActionTypeId"] = .number(id)
            object["fixtureActionType"] = .string(name)
        }
        if let subTypeId { object["fixtureActionSubTypeId"] = .number(subTypeId) }
        if let teamId { object["team"] = .object(["id": .string(teamId.wire)]) }
        if let player {
            var fields: [String: JSONValue] = ["id": .string(player.id.wire)]
            if let name = player.name { fields["name"] = .string(name) }
            object["player"] = .object(fields)
        }
        if let timestamp { object["timestamp"] = .string(timestamp.description) }
        if let clockTime { object["clockTime"] = .string(clockTime.description) }
        if let period { object["period"] = .number(period) }
        if let metadata { object["metadata"] = metadata }
        if !relatedActionIds.isEmpty {
            object["relatedFixtureActionIds"] = .array(relatedActionIds.map { .string($0.wire) })
        }
        return .object(object)
    }

    /// Reads an ingest body: one action or an array of actions.
    public static func batch(from body: JSONValue) throws(IndexedRuleViolation) -> [ActionSubmission] {
        let elements: [JSONValue]
        switch body {
        case .array(let array): elements = array
        default: elements = [body]
        }
        guard !elements.isEmpty else {
            throw IndexedRuleViolation(index: nil, RuleViolation("The array holds no action."))
        }
        var submissions: [ActionSubmission] = []
        submissions.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            do {
                submissions.append(try ActionSubmission(json: element))
            } catch {
                throw IndexedRuleViolation(index: elements.count > 1 || body.arrayValue != nil ? index : nil, error)
            }
        }
        return submissions
    }
}

/// A rule broken by one element of an ingest array: says which element, counted from 0.
public struct IndexedRuleViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public let index: Int?
    public let violation: RuleViolation

    public init(index: Int?, _ violation: RuleViolation) {
        self.index = index
        self.violation = violation
    }

    public var description: String {
        guard let index else { return violation.message }
        return "Action \(index) of the array: \(violation.message) Nothing was stored."
    }
}
