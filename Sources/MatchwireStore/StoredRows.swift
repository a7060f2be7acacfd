import Foundation
import MatchwireCore

/// What both stores compare before they change a fixture: its record's update count and its last number.
struct FixtureVersion: Sendable, Equatable {
    var updateCount: Int
    var lastSeqNum: Int

    init(updateCount: Int, lastSeqNum: Int) {
        self.updateCount = updateCount
        self.lastSeqNum = lastSeqNum
    }

    init(_ fixture: Fixture) {
        self.init(updateCount: fixture.updateCount, lastSeqNum: fixture.lastSeqNum)
    }
}

/// A fixture's stored record, read back the same way by every store: an unreadable row is an error with a
/// sentence, never skipped.
enum FixtureRecord {
    static func decode(body: [UInt8]?, lastSeqNum: Int?, id: String?) throws -> Fixture {
        guard let body, var fixture = try? JSONDecoder().decode(Fixture.self, from: Data(body)) else {
            throw StoreError.corruptRow("fixture \(id ?? "?")")
        }
        fixture.lastSeqNum = lastSeqNum ?? 0
        return fixture
    }

    static func encode(_ fixture: Fixture) throws -> [UInt8] {
        Array(try JSONEncoder().encode(fixture))
    }
}

/// A token's stored columns, as text, read back the same way by every store.
struct TokenColumns {
    var name: String?
    var hash: String?
    var role: String?
    var feeds: String?
    var sports: String?
    var createdAt: String?
    var revoked: Bool?

    init(
        name: String?, hash: String?, role: String?, feeds: String?, sports: String?, createdAt: String?,
        revoked: Bool?
    ) {
        self.name = name
        self.hash = hash
        self.role = role
        self.feeds = feeds
        self.sports = sports
        self.createdAt = createdAt
        self.revoked = revoked
    }

    init(_ token: TokenRecord) {
        self.init(
            name: token.name, hash: token.hash, role: token.role.rawValue,
            feeds: token.feeds.map(\.rawValue).sorted().joined(separator: ","),
            sports: token.sports.map(\.rawValue).sorted().joined(separator: ","),
            createdAt: token.createdAt.description, revoked: token.revoked)
    }

    /// The token, or `corruptRow` naming it: a token that cannot be read is never skipped.
    func record() throws -> TokenRecord {
        guard let name, let hash, let role = role.flatMap(Role.init(rawValue:)), let feeds, let sports,
            let created = createdAt.flatMap(Timestamp.init(iso8601:)), let revoked
        else { throw StoreError.corruptRow("token \(name ?? "?")") }
        let feedSet = feeds.split(separator: ",").map { Feed(rawValue: String($0)) }
        let sportSet = sports.split(separator: ",").map { Sport(rawValue: String($0)) }
        guard !feedSet.contains(nil), !sportSet.contains(nil) else { throw StoreError.corruptRow("token \(name)") }
        return TokenRecord(
            name: name, hash: hash, role: role, feeds: Set(feedSet.compactMap { $0 }),
            sports: Set(sportSet.compactMap { $0 }), createdAt: created, revoked: revoked)
    }
}
