import ArgumentParser
import Foundation
import Logging
import MatchwireCore
import MatchwireServer
import MatchwireStore

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke access tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token. The token is printed once, alone on the last line; only its hash is kept.")

        @Option(help: "A unique name for the token.") var name: String
        @Option(help: "consumer, scout or admin.") var role: String
        @Option(help: "Comma-separated feeds: betting,media. Default: all.") var feeds: String?
        @Option(help: "Comma-separated sports: \(Sport.names). Default: all.") var sports: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be consumer, scout or admin.")
            }
            let name = name.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw ValidationError("--name must not be empty.") }
            let feeds = try parseList(self.feeds, all: Feed.allCases, option: "feeds", make: Feed.init(rawValue:))
            let sports = try parseList(self.sports, all: Sport.allCases, option: "sports", make: Sport.init(name:))
            let (token, record) = AccessControl.issue(
                name: name, role: role, feeds: feeds, sports: sports, now: Timestamp.now)
            do {
                try await store.withStore { try await $0.insertToken(record) }
            } catch StoreError.duplicate {
                throw CommandFailure("A token named '\(name)' exists already.")
            }
            print("created \(role.rawValue) token '\(name)' (feeds: \(describe(feeds)), sports: \(describe(sports)))")
            print(token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (names and rights, never the tokens).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let tokens = try await store.withStore { try await $0.tokens() }
            print(["NAME", "ROLE", "FEEDS", "SPORTS", "CREATED", "STATE"].joined(separator: "\t"))
            for token in tokens {
                print(
                    [
                        token.name, token.role.rawValue, describe(token.feeds), describe(token.sports),
                        token.createdAt.description, token.revoked ? "revoked" : "active",
                    ].joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name; it stops working at once.")
        @Argument(help: "The token's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (found, untold) = try await store.withStore { store in
                (try await store.revokeToken(name: name), store.tokenChanges?.markerWriteFailed == true)
            }
            guard found else { throw CommandFailure("No token is named '\(name)'.") }
            print("revoked token '\(name)'")
            if untold {
                // The marker file beside the database could not be written (its folder or the file is not
                // writable by this user): a running server learns of the revocation when it next reads the token.
                Terminal.write(
                    "warning: the file beside the database that tells a running server of token changes could not "
                        + "be written; a running server refuses the token within 2 seconds instead of at once\n",
                    to: .standardError)
            }
        }
    }
}

private func parseList<T: Hashable>(
    _ text: String?, all: [T], option: String, make: (String) -> T?
) throws -> Set<T> {
    guard let text else { return Set(all) }
    var values = Set<T>()
    for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
        guard let value = make(part) else { throw ValidationError("--\(option): '\(part)' is not known.") }
        values.insert(value)
    }
    guard !values.isEmpty else { throw ValidationError("--\(option) must name at least one.") }
    return values
}

private func describe<T: RawRepresentable>(_ values: Set<T>) -> String where T.RawValue == String {
    values.map(\.rawValue).sorted().joined(separator: ",")
}
