import Foundation
import MatchwireCore

/// The body of `POST /admin/fixtures` and `PATCH /admin/fixtures/{id}` (operations.md §2), checked field by field.
struct FixtureRequest {
    static let createKeys: Set<String> = ["sport", "id", "startDateUTC", "teams", "competition", "type", "rules"]
    static let patchKeys: Set<String> = ["startDateUTC", "teams", "competition", "type", "rules"]

    /// A new fixture from a create body.
    static func create(_ body: JSONValue) throws(RuleViolation) -> Fixture {
        let object = try fields(of: body, allowed: createKeys)
        guard let sportName = object["sport"]?.stringValue else {
            throw RuleViolation("sport is required: one of \(Sport.names).")
        }
        guard let sport = Sport(name: sportName) else {
            throw RuleViolation("sport '\(sportName)' is not served: use one of \(Sport.names).")
        }
        let id = try object["id"].map { value throws(RuleViolation) in try uuid(value, field: "id") } ?? UUID()
        guard let start = object["startDateUTC"] else { throw RuleViolation("startDateUTC is required.") }
        guard let teamsValue = object["teams"] else { throw RuleViolation("teams is required: [home, away].") }
        var fixture = Fixture(
            id: id, sport: sport, startDate: try startDate(start), teams: try teams(teamsValue, existing: nil),
            rules: try sport.rules(object["rules"]).rulesObject)
        try apply(object, to: &fixture)
        return fixture
    }

    /// Applies a patch body to a fixture that has not started.
    static func patch(_ body: JSONValue, to fixture: inout Fixture) throws(RuleViolation) {
        let object = try fields(of: body, allowed: patchKeys)
        if let start = object["startDateUTC"] { fixture.startDate = try startDate(start) }
        if let value = object["teams"] { fixture.teams = try teams(value, existing: fixture.teams) }
        if let rules = object["rules"] { fixture.rules = try fixture.sport.rules(rules).rulesObject }
        try apply(object, to: &fixture)
        fixture.updateCount += 1
    }

    private static func apply(_ object: [String: JSONValue], to fixture: inout Fixture) throws(RuleViolation) {
        if let value = object["type"] {
            guard let text = value.stringValue, let type = FixtureType(rawValue: text) else {
                throw RuleViolation("type must be one of Official, Simulation, Training.")
            }
            fixture.type = type
        }
        if let value = object["competition"] {
            if value == .null {
                fixture.competition = nil
            } else {
                guard let name = value["name"]?.stringValue, !name.isEmpty else {
                    throw RuleViolation("competition must be {\"id\": uuid (optional), \"name\": string}.")
                }
                let id = try value["id"].map { id throws(RuleViolation) in try uuid(id, field: "competition.id") }
                fixture.competition = Competition(id: id ?? fixture.competition?.id ?? UUID(), name: name)
            }
        }
    }

    private static func fields(of body: JSONValue, allowed: Set<String>) throws(RuleViolation) -> [String: JSONValue] {
        guard let object = body.objectValue else { throw RuleViolation("The body must be a JSON object.") }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw RuleViolation("Unknown field '\(unknown)'.")
        }
        return object
    }

    private static func uuid(_ value: JSONValue, field: String) throws(RuleViolation) -> UUID {
        guard let text = value.stringValue, let id = UUID(uuidString: text) else {
            throw RuleViolation("\(field) must be a UUID.")
        }
        return id
    }

    private static func startDate(_ value: JSONValue) throws(RuleViolation) -> Timestamp {
        guard let text = value.stringValue,
            let time = Timestamp(localDateTime: text) ?? Timestamp(iso8601: text).map(\.wholeSecond)
        else { throw RuleViolation("startDateUTC must be a UTC date and time such as 2025-05-20T08:30:00.") }
        return time
    }

    /// Two teams, home first. On a patch, ids may be left out (the existing ones stay) but not changed.
    private static func teams(_ value: JSONValue, existing: [TeamRef]?) throws(RuleViolation) -> [TeamRef] {
        guard let array = value.arrayValue, array.count == 2 else {
            throw RuleViolation("teams must be an array of two teams, home first: [{\"name\": ...}, {\"name\": ...}].")
        }
        var teams: [TeamRef] = []
        for (index, team) in array.enumerated() {
            let side = index == 0 ? "home" : "away"
            guard let name = team["name"]?.stringValue, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw RuleViolation("The \(side) team needs a name.")
            }
            let given = try team["id"].map { id throws(RuleViolation) in try uuid(id, field: "teams[\(index)].id") }
            if let existing {
                if let given, given != existing[index].id {
                    throw RuleViolation("The \(side) team's id cannot change; change its name only.")
                }
                teams.append(TeamRef(id: existing[index].id, name: name, homeTeam: index == 0))
            } else {
                teams.append(TeamRef(id: given ?? UUID(), name: name, homeTeam: index == 0))
            }
        }
        guard teams[0].id != teams[1].id else { throw RuleViolation("The two teams need different ids.") }
        return teams
    }
}
