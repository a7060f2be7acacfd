import Foundation
import MatchwireCore

/// The OpenAPI document served at `/openapi.json`: `Resources/openapi.json`, which describes everything but the
/// sports, with every sport of the registry (``Sport/allCases``) written in, so that a new sport is documented
/// without a line of the document written by hand.
///
/// For each sport, the resource's `x-matchwire-sport-template` gives its seven paths, its ingest request body and
/// its ingest schemas, with `<path>` (`v2/tabletennis`), `<sport>` (`tabletennis`), `<Type>` (`TableTennis`),
/// `<operation>` (`tableTennis`) and `<words>` (`table tennis`; `<a words>` and `<A words>` with their article)
/// standing for its names. The rest is made from the
/// sport itself: its rules schema from its `rulesKeys`, the action ids its ingest accepts from its catalogue, and
/// its examples (a fixture, the first packets of a match, one action and an array of actions) from a simulated
/// match of a fixed seed, folded by the engine, so that every example is one the server would accept and serve.
/// The lists that name every sport (the `Sport` enum, the rules of `FixtureCreate`, `FixtureRules` and
/// `FixturePatch`, the match page's sport parameter, the description's list of sports) are filled in too.
enum OpenAPIDocument {
    /// The document as served, made once per process (on the first use: the routes' registration). It cannot fail
    /// but by a mistake in the resource or in this file, which `OpenAPIDocumentTests` would show first.
    static let served: [UInt8] = {
        do {
            return try make().jsonBytes
        } catch {
            preconditionFailure("The OpenAPI document cannot be made: \(error)")
        }
    }()

    /// The document for these sports.
    static func make(resource: [UInt8] = PackageResources.openapi_json, sports: [Sport] = Sport.allCases) throws
        -> JSONValue
    {
        guard case .object(var document) = try JSONValue.parse(resource),
            case .object(let template)? = document.removeValue(forKey: "x-matchwire-sport-template"),
            var paths = document["paths"], var components = document["components"]
        else { throw RuleViolation("Resources/openapi.json has no paths, components or sport template.") }
        for sport in sports {
            let filled = try fill(.object(template), for: sport)
            for (path, item) in filled["paths"]?.objectValue ?? [:] { paths[path] = item }
            for (kind, entries) in filled["components"]?.objectValue ?? [:] {
                for (name, entry) in entries.objectValue ?? [:] { components[kind]?[name] = entry }
            }
            components["schemas"]?["\(sport.typeName)Rules"] = rulesSchema(sport)
            components["schemas"]?["\(sport.typeName)ActionSubmission"]?["properties"]?["fixtureActionTypeId"]?[
                "enum"] = .array(sport.catalogue.definitions.map(\.id).sorted().map { .number($0) })
            for (name, example) in try examples(sport) { components["examples"]?[name] = example }
        }
        fillSportLists(&components, &paths, sports: sports)
        document["paths"] = paths
        document["components"] = components
        let list = sports.map { "\($0.words) (`\($0.pathSegment)`)" }
        let sentence = list.dropLast().joined(separator: ", ") + (list.count > 1 ? " and " : "") + (list.last ?? "")
        let description = document["info"]?["description"]?.stringValue ?? ""
        document["info"]?["description"] = .string(description.replacingOccurrences(of: "<sports>", with: sentence))
        return .object(document)
    }

    /// The template with the sport's names written in.
    private static func fill(_ template: JSONValue, for sport: Sport) throws -> JSONValue {
        let own = sport.rulesType.actions.map(\.id)
        let text = String(decoding: template.jsonBytes, as: UTF8.self)
            .replacingOccurrences(of: "<path>", with: sport.pathSegment)
            .replacingOccurrences(of: "<sport>", with: sport.rawValue)
            .replacingOccurrences(of: "<Type>", with: sport.typeName)
            .replacingOccurrences(of: "<operation>", with: sport.operationName)
            .replacingOccurrences(of: "<a words>", with: sport.withArticle)
            .replacingOccurrences(of: "<A words>", with: sport.withArticleCapitalised)
            .replacingOccurrences(of: "<words>", with: sport.words)
            .replacingOccurrences(of: "<ownIds>", with: idRanges(own))
        return try JSONValue.parse(Array(text.utf8))
    }

    /// "101 to 115, 121, 126, 130, 133 and 134": ids as runs of consecutive numbers.
    static func idRanges(_ ids: [Int]) -> String {
        var runs: [String] = []
        var rest = ids.sorted()[...]
        while let first = rest.first {
            var last = first
            rest = rest.dropFirst()
            while rest.first == last + 1 {
                last += 1
                rest = rest.dropFirst()
            }
            runs += last - first >= 2 ? ["\(first) to \(last)"] : Array(Set([first, last])).sorted().map(String.init)
        }
        guard runs.count > 1 else { return runs.first ?? "" }
        return runs.dropLast().joined(separator: ", ") + " and " + (runs.last ?? "")
    }

    /// `<Type>Rules`: the sport's rules object, key by key, with its ranges and defaults.
    static func rulesSchema(_ sport: Sport) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        for key in sport.rulesType.rulesKeys {
            let defaultText = String(decoding: key.defaultValue.jsonBytes, as: UTF8.self)
            // "Minutes per half [45]."
            let meaning = key.meaning.hasSuffix(".") ? String(key.meaning.dropLast()) : key.meaning
            var property: [String: JSONValue] = ["description": .string("\(meaning) [\(defaultText)].")]
            switch key.values {
            case .integer(let range):
                property["type"] = "integer"
                property["minimum"] = .number(range.lowerBound)
                property["maximum"] = .number(range.upperBound)
            case .integerOneOf(let values):
                property["type"] = "integer"
                property["enum"] = .array(values.map { .number($0) })
            case .boolean:
                property["type"] = "boolean"
            }
            properties[key.name] = .object(property)
        }
        return [
            "type": "object",
            "description": .string(
                "\(sport.displayName) rules. In a request every key is optional (default in brackets) and other keys are "
                    + "ignored; a fixture object always has every key. Integer values may be written in any JSON "
                    + "notation of a whole number (`5.0`)."),
            "properties": .object(properties),
            "example": (try? sport.rules(sport.demoRules).rulesObject) ?? .null,
        ]
    }

    /// The sport's examples, from a simulated match of a fixed seed: the same in every build.
    static func examples(_ sport: Sport) throws -> [String: JSONValue] {
        // A seed of its own for each sport, so that no two sports' examples share an id.
        var random = SeededGenerator(seed: sport.rawValue.utf8.reduce(UInt64(20_250_520)) { $0 &* 31 &+ UInt64($1) })
        guard let start = Timestamp(localDateTime: "2025-05-20T18:00:00") else { return [:] }
        let generated = MatchSimulator.fixture(
            sport, seed: 7, start: start, rules: try sport.rules(sport.demoRules).rulesObject)
        let fixture = Fixture(
            id: random.uuid(), sport: sport, startDate: start,
            teams: generated.teams.map { TeamRef(id: random.uuid(), name: $0.name, homeTeam: $0.homeTeam) },
            competition: Competition(id: random.uuid(), name: "Matchwire demo"), type: .simulation,
            rules: generated.rules)
        let actions = try MatchSimulator.match(for: fixture, seed: 7, start: start)
        var engine = try FixtureEngine(fixture: fixture)
        var packets: [JSONValue] = []
        for action in actions.prefix(6) {
            if case .stored(let packet) = try engine.ingest(
                action.submission, receivedAt: action.timestamp, traceId: "7f3a9c2e5b1d4e6f8a0b2c4d6e8f0a1b")
            {
                packets.append(try JSONValue.parse(packet.jsonBytes))
            }
        }
        // The first action of the sport's own catalogue a team is credited with, and the two that open play.
        let own = Set(sport.rulesType.actions.map(\.id))
        let first = actions.first { action in
            guard case .id(let id) = action.submission.actionType else { return false }
            return own.contains(id) && action.submission.teamId != nil
        }
        let opening = actions.filter { action in
            guard case .id(let id) = action.submission.actionType else { return false }
            return id == CommonAction.startFixture || id == CommonAction.startPeriod
        }.prefix(2)
        let fixtureObject = try JSONValue.parse(fixture.jsonBytes)
        var examples: [String: JSONValue] = [
            "Fixture": ["summary": .string("\(sport.withArticleCapitalised) fixture"), "value": fixtureObject],
            "FixtureList": ["summary": "Without the paged header: a bare array", "value": [fixtureObject]],
            "FixturePage": [
                "summary": "With paged: true",
                "value": ["content": [fixtureObject], "page": 0, "size": 20, "totalElements": 1, "totalPages": 1],
            ],
            "ActionsList": [
                "summary": .string("The first packets of \(sport.withArticle) fixture"), "value": .array(packets),
            ],
        ]
        if let first, case .id(let id) = first.submission.actionType,
            let name = sport.catalogue.definition(id: id)?.name
        {
            examples["IngestSingle"] = ["summary": .string("One action: \(name)"), "value": first.submission.json]
            examples["IngestArray"] = [
                "summary": "An array of actions: the start of the match and its first action",
                "value": .array((opening + [first]).map(\.submission.json)),
            ]
        }
        return Dictionary(uniqueKeysWithValues: examples.map { ("\(sport.typeName)\($0.key)", $0.value) })
    }

    /// The lists that name every sport.
    private static func fillSportLists(_ components: inout JSONValue, _ paths: inout JSONValue, sports: [Sport]) {
        let names = JSONValue.array(sports.map { .string($0.rawValue) })
        func rules(_ sport: Sport) -> JSONValue { ["$ref": .string("#/components/schemas/\(sport.typeName)Rules")] }
        components["schemas"]?["Sport"]?["enum"] = names
        components["schemas"]?["FixtureCreate"]?["properties"]?["sport"]?["enum"] = names
        components["schemas"]?["FixtureCreate"]?["allOf"] = .array(
            sports.map { sport in
                [
                    "if": ["required": ["sport"], "properties": ["sport": ["const": .string(sport.rawValue)]]],
                    "then": ["properties": ["rules": rules(sport)]],
                ]
            })
        components["schemas"]?["FixtureRules"]?["anyOf"] = .array(
            sports.map { sport in
                ["allOf": [rules(sport)], "required": .array(sport.rulesType.rulesKeys.map { .string($0.name) })]
            })
        components["schemas"]?["FixturePatch"]?["properties"]?["rules"]?["anyOf"] = .array(
            sports.map(rules))
        paths["/match/{sport}/{fixtureId}"]?["get"]?["parameters"]?[0]?["schema"]?["enum"] = names
        let notFound =
            "No such sport: the match page is /match/{sport}/{fixtureId}, sport one of \(sports.map(\.rawValue).joined(separator: ", "))."
        paths["/match/{sport}/{fixtureId}"]?["get"]?["responses"]?["404"]?["content"]?["application/json"]?[
            "example"]?["errorMessage"] = .string(notFound)
    }
}

extension Sport {
    /// `TableTennis`: the sport in the names of its schemas and examples.
    var typeName: String {
        displayName.split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// `tableTennis`: the sport in its operation ids.
    var operationName: String { typeName.prefix(1).lowercased() + typeName.dropFirst() }

    /// `table tennis`: the sport in a sentence.
    var words: String { displayName.lowercased() }

    /// `a table tennis`, `an ice hockey`.
    var withArticle: String { ("aeiou".contains(words.prefix(1)) ? "an " : "a ") + words }

    /// `A table tennis`, `An ice hockey`.
    var withArticleCapitalised: String { withArticle.prefix(1).uppercased() + withArticle.dropFirst() }
}

extension MatchwireApp {
    /// The OpenAPI document as `/openapi.json` serves it (`matchwire openapi`).
    public static var openAPIDocument: [UInt8] { OpenAPIDocument.served }
}
