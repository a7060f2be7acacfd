import Foundation

/// A team as it appears in a fixture, and in every packet of an action that belongs to it.
public struct TeamRef: Sendable, Hashable, Codable {
    public let id: UUID
    public var name: String
    public let homeTeam: Bool

    public init(id: UUID, name: String, homeTeam: Bool) {
        self.id = id
        self.name = name
        self.homeTeam = homeTeam
    }
}

/// A player named by an action.
public struct PlayerRef: Sendable, Hashable, Codable {
    public let id: UUID
    public let name: String?

    public init(id: UUID, name: String?) {
        self.id = id
        self.name = name
    }
}

/// The competition a fixture belongs to.
public struct Competition: Sendable, Hashable, Codable {
    public let id: UUID
    public let name: String

    public init(id: UUID, name: String) {
        self.id = id
        self.name = name
    }
}

/// A fixture: a match of one sport between a home and an away team, with its rules and statuses.
public struct Fixture: Sendable, Hashable, Codable {
    public let id: UUID
    public let sport: Sport
    public var status: FixtureStatus = .scheduled
    public var collectionStatus: CollectionStatus = .collectionScheduled
    public var type: FixtureType = .official
    /// Zone-less UTC start time.
    public var startDate: Timestamp
    /// Home first, away second.
    public var teams: [TeamRef]
    public var competition: Competition?
    /// The rules object with defaults filled in.
    public var rules: JSONValue
    public var fixtureDeleted = false
    public var updateCount = 0
    /// The last packet said `finished: true`: the actions list is final. Not part of the fixture object.
    public var finished = false
    /// The highest stored `fixtureSeqNum`: with `finished`, it identifies the actions list. Not part of the
    /// fixture object.
    public var lastSeqNum = 0

    public init(
        id: UUID, sport: Sport, startDate: Timestamp, teams: [TeamRef], competition: Competition? = nil,
        type: FixtureType = .official, rules: JSONValue
    ) {
        self.id = id
        self.sport = sport
        self.startDate = startDate
        self.teams = teams
        self.competition = competition
        self.type = type
        self.rules = rules
    }

    public var home: TeamRef { teams[0] }
    public var away: TeamRef { teams[1] }
    public var name: String { "\(home.name) v \(away.name)" }

    public func team(id: UUID) -> TeamRef? { teams.first { $0.id == id } }

    /// Whether this fixture differs from `other` in more than `property`.
    public func differs<Value>(from other: Fixture, beyond property: WritableKeyPath<Fixture, Value>) -> Bool {
        var aligned = self
        aligned[keyPath: property] = other[keyPath: property]
        return aligned != other
    }

    /// The fixture as it stands after the engine's latest packet.
    public func following(_ engine: FixtureEngine) -> Fixture {
        var fixture = self
        fixture.status = engine.state.status
        fixture.collectionStatus = engine.state.collectionStatus
        fixture.finished = engine.state.finished
        fixture.lastSeqNum = engine.lastSeqNum
        return fixture
    }

    /// The fixture object of the protocol (protocol.md §2).
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id"); writer.string(id.wire)
        writer.key("name"); writer.string(name)
        writer.key("sport"); writer.string(sport.rawValue)
        writer.key("status"); writer.string(status.name)
        writer.key("collectionStatus"); writer.string(collectionStatus.name)
        writer.key("type"); writer.string(type.rawValue)
        writer.key("coverageLevel"); writer.string("In Venue")
        writer.key("startDateUTC"); writer.string(startDate.dateTimeText)
        writer.key("teams")
        writer.beginArray()
        for team in teams { team.write(to: &writer) }
        writer.endArray()
        writer.key("competition")
        if let competition {
            writer.beginObject()
            writer.key("id"); writer.string(competition.id.wire)
            writer.key("name"); writer.string(competition.name)
            writer.endObject()
        } else {
            writer.null()
        }
        writer.key("rules"); writer.value(rules)
        writer.key("fixtureDeleted"); writer.bool(fixtureDeleted)
        writer.key("updateCount"); writer.int(updateCount)
        writer.endObject()
    }

    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512)
        write(to: &writer)
        return writer.bytes
    }
}

extension TeamRef {
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id"); writer.string(id.wire)
        writer.key("name"); writer.string(name)
        writer.key("homeTeam"); writer.bool(homeTeam)
        writer.endObject()
    }
}

extension UUID {
    /// The lowercase text form used on the wire.
    public var wire: String { uuidString.lowercased() }
}

extension Timestamp: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a timestamp: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Fixture {
    /// Reads a fixture object as the REST API serves it (the reverse of `write(to:)`), for clients.
    public init(wire value: JSONValue) throws(RuleViolation) {
        func field<T>(_ key: String, _ read: (JSONValue) -> T?) throws(RuleViolation) -> T {
            guard let found = value[key], let result = read(found) else {
                throw RuleViolation("The fixture object has no valid '\(key)'.")
            }
            return result
        }
        let teams: [TeamRef] = try field("teams") { teams in
            let read = teams.arrayValue?.compactMap { team -> TeamRef? in
                guard let id = team["id"]?.stringValue.flatMap(UUID.init(uuidString:)),
                    let name = team["name"]?.stringValue, let home = team["homeTeam"]?.boolValue
                else { return nil }
                return TeamRef(id: id, name: name, homeTeam: home)
            }
            return read?.count == 2 ? read : nil
        }
        self.init(
            id: try field("id") { $0.stringValue.flatMap(UUID.init(uuidString:)) },
            sport: try field("sport") { $0.stringValue.flatMap(Sport.init(name:)) },
            startDate: try field("startDateUTC") { $0.stringValue.flatMap(Timestamp.init(localDateTime:)) },
            teams: teams, rules: try field("rules") { $0.objectValue.map(JSONValue.object) })
        status = try field("status") { $0.stringValue.flatMap(FixtureStatus.init(name:)) }
        collectionStatus = try field("collectionStatus") { text in
            CollectionStatus.allCases.first { $0.name == text.stringValue }
        }
        type = try field("type") { $0.stringValue.flatMap(FixtureType.init(rawValue:)) }
        if let competition = value["competition"], let name = competition["name"]?.stringValue,
            let id = competition["id"]?.stringValue.flatMap(UUID.init(uuidString:))
        {
            self.competition = Competition(id: id, name: name)
        }
        fixtureDeleted = value["fixtureDeleted"]?.boolValue ?? false
        updateCount = value["updateCount"]?.intValue ?? 0
    }
}
