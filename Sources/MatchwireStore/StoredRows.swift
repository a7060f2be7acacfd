import Foundation
import Synchronization
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
    /// The records decoded lately, by fixture id, with the bytes each was decoded from. A stream's connect reads
    /// its fixture (404 for an unknown one, and its status), and decoding the record with Foundation's JSON decoder
    /// was the dearest step of a connect after the socket's own work (issue 19): a record read again with the same
    /// bytes is the same fixture, so it is decoded once. Process-wide, shared by every store, at most
    /// ``memoCapacity`` records (emptied when full), each kept as its bytes and decoded: a few kilobytes a record
    /// (the rules and teams), so at most some tens of megabytes on a server that reads thousands of fixtures.
    private static let decoded = Mutex<[String: (body: [UInt8], fixture: Fixture)]>([:])
    static let memoCapacity = 4096

    static func decode(body: [UInt8]?, lastSeqNum: Int?, id: String?) throws -> Fixture {
        guard let body else { throw StoreError.corruptRow("fixture \(id ?? "?")") }
        var fixture: Fixture
        if let id, let known = decoded.withLock({ $0[id] }), known.body == body {
            fixture = known.fixture
        } else {
            guard let fresh = try? JSONDecoder().decode(Fixture.self, from: Data(body)) else {
                throw StoreError.corruptRow("fixture \(id ?? "?")")
            }
            fixture = fresh
            if let id {
                decoded.withLock { decoded in
                    if decoded.count >= memoCapacity { decoded.removeAll() }
                    decoded[id] = (body, fresh)
                }
            }
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
