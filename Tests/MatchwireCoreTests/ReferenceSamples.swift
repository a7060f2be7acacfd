import Foundation
import MatchwireCore

/// The table tennis packets of the public feed's documentation, committed as test data.
enum ReferenceSamples {
    /// A committed sample, `Resources/{name}.json`: an array of packets.
    static func bytes(_ name: String) throws -> Data {
        let url = try requireValue(Bundle.module.url(forResource: "Resources/\(name)", withExtension: "json"))
        return try Data(contentsOf: url)
    }

    static func tableTennisBytes() throws -> Data { try bytes("tabletennis-reference") }

    /// Each packet of a sample as its own JSON value.
    static func elements(_ name: String) throws -> [JSONValue] {
        guard case .array(let elements) = try JSONValue.parse(try bytes(name)) else {
            throw RuleViolation("the sample \(name) is not an array")
        }
        return elements
    }

    static func tableTennisElements() throws -> [JSONValue] { try elements("tabletennis-reference") }

    /// The `fixtureAction` of a sample packet, decoded as a client would. The soccer and basketball excerpts
    /// predate `homeTeam` in the team object (protocol.md), so it is filled in from the fixture's teams first.
    static func action(of element: JSONValue, in fixture: Fixture) throws -> FixtureAction {
        guard case .object(var action) = try requireValue(element["fixtureAction"], "fixtureAction") else {
            throw RuleViolation("fixtureAction is not an object")
        }
        if case .object(var team) = action["team"], team["homeTeam"] == nil {
            let id = try requireValue(team["id"]?.stringValue.flatMap(UUID.init(uuidString:)), "team.id")
            team["homeTeam"] = .bool(id == fixture.home.id)
            action["team"] = .object(team)
        }
        return try JSONDecoder().decode(FixtureAction.self, from: JSONEncoder().encode(JSONValue.object(action)))
    }

    static func tableTennisPackets() throws -> [Packet] {
        try JSONDecoder().decode([Packet].self, from: try tableTennisBytes())
    }

    /// The fixture of the sample: PARK Gahyeon (home) v BATRA Manika.
    static func tableTennisFixture() throws -> Fixture {
        Fixture(
            id: UUID(uuidString: "7c2253bb-790d-4cc5-9874-afa75d771e14")!, sport: .tableTennis,
            startDate: Timestamp(localDateTime: "2025-05-20T08:30:00")!,
            teams: [
                TeamRef(
                    id: UUID(uuidString: "353b35e6-4e24-4e58-900d-2f89968dc439")!, name: "PARK Gahyeon", homeTeam: true),
                TeamRef(
                    id: UUID(uuidString: "ec5810e8-75f6-46b7-92e3-ac65fb151283")!, name: "BATRA Manika", homeTeam: false
                ),
            ],
            rules: TableTennisRules().rulesObject)
    }

    /// What the scout sent for a sample packet: its action without anything the server computes.
    static func submission(for packet: Packet) -> ActionSubmission {
        ActionSubmission(
            actionId: packet.action.actionId, actionType: .id(packet.action.actionTypeId),
            sendType: packet.action.sendType, subTypeId: packet.action.subType?.id, teamId: packet.action.team?.id,
            player: packet.action.player, timestamp: packet.action.timestamp, metadata: packet.action.metadata,
            relatedActionIds: packet.action.relatedActionIds)
    }
}

func requireValue<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw RuleViolation("missing \(what)") }
    return value
}
