import ArgumentParser
import Foundation
import Logging
import MatchwireCore
import MatchwireServer
import MatchwireStore

struct FixtureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixture", abstract: "Manage fixtures.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a fixture. Its id is printed alone on the last line.")

        @Option(help: "\(Sport.names).") var sport: String
        @Option(help: "Home team name.") var home: String
        @Option(help: "Away team name.") var away: String
        @Option(help: "Start time, UTC, such as 2025-05-20T08:30:00. Default: now.") var start: String?
        @Option(help: "Fixture id. Default: a new UUID.") var id: String?
        @Option(help: "Rules object as JSON, such as '{\"extraTime\": true}' (docs/sports.md). Default: the sport's.")
        var rules: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let sport = Sport(name: sport) else {
                throw ValidationError("--sport must be one of \(Sport.names).")
            }
            let startDate: Timestamp
            if let start {
                guard let parsed = Timestamp(localDateTime: start) ?? Timestamp(iso8601: start) else {
                    throw ValidationError("--start must be a UTC time such as 2025-05-20T08:30:00.")
                }
                startDate = parsed.wholeSecond
            } else {
                startDate = Timestamp.now.wholeSecond
            }
            var fixtureId = UUID()
            if let id {
                guard let parsed = UUID(uuidString: id) else { throw ValidationError("--id must be a UUID.") }
                fixtureId = parsed
            }
            for (option, name) in [("home", home), ("away", away)]
            where name.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("--\(option) must not be empty.")
            }
            let fixture = Fixture(
                id: fixtureId, sport: sport, startDate: startDate,
                teams: [
                    TeamRef(id: UUID(), name: home, homeTeam: true), TeamRef(id: UUID(), name: away, homeTeam: false),
                ],
                rules: try Self.rulesObject(rules, of: sport))
            do {
                try await store.withStore { try await $0.insertFixture(fixture) }
            } catch StoreError.duplicate {
                throw CommandFailure("A fixture with id \(fixtureId.wire) exists already.")
            }
            print("created \(sport.rawValue) fixture '\(fixture.name)' starting \(startDate.dateTimeText)")
            print("home team \(fixture.home.id.wire), away team \(fixture.away.id.wire)")
            print(fixture.id.wire)
        }

        /// The rules object given (checked, defaults filled in), or the sport's defaults.
        static func rulesObject(_ text: String?, of sport: Sport) throws -> JSONValue {
            do {
                return try sport.rules(text.map { try JSONValue.parse(Array($0.utf8)) }).rulesObject
            } catch let error as RuleViolation {
                throw ValidationError("--rules: \(error.message)")
            } catch {
                throw ValidationError("--rules must be a JSON object: \(error)")
            }
        }
    }
}
