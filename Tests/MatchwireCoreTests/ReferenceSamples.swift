import Foundation
import MatchwireCore

/// The table tennis packets of the public feed's documentation, committed as test data.
enum ReferenceSamples {
    static func tableTennisBytes() throws -> Data {
        let url = try requireValue(
            Bundle.module.url(forResource: "Resources/tabletennis-reference", withExtension: "json"))
        return try Data(contentsOf: url)
    }

    /// Each packet of the sample as its own JSON value.
    static func tableTennisElements() throws -> [JSONValue] {
        guard case .array(let elements) = try JSONValue.parse(try tableTennisBytes()) else {
            throw RuleViolation("the sample is not an array")
        }
        return elements
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
