import Foundation
import MatchwireCore
import MatchwireStore
import Synchronization
import Testing

@testable import MatchwireServer

/// The tokens a server keeps in memory (issue 19: a connect no longer reads its token from the store), and the
/// promise kept with them: a revocation applies to the first check after it, as when every check read the store.
@Suite struct TokenTableTests {
    /// A clock the test moves by hand.
    final class Clock: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        var now: ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
    }

    static func record(_ name: String, revoked: Bool = false) -> TokenRecord {
        TokenRecord(
            name: name, hash: AccessControl.hash("token-of-\(name)"), role: .consumer, feeds: [.betting],
            sports: [.tableTennis], createdAt: Timestamp(millisecondsSince1970: 1_747_729_800_000), revoked: revoked)
    }

    /// A database path in the temporary folder (no file is made): the token changes of a store there.
    static func changesOfNewDatabase() -> (TokenChanges, marker: String) {
        let database = FileManager.default.temporaryDirectory.appendingPathComponent(
            "matchwire-\(UUID().uuidString).sqlite"
        ).path
        return (TokenChanges(database: database), TokenChanges.marker(ofDatabase: database))
    }

    /// What another process's `token revoke` does to the marker file.
    static func appendToMarker(_ path: String) throws {
        let handle =
            FileHandle(forWritingAtPath: path)
            ?? {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
                return FileHandle(forWritingAtPath: path)!
            }()
        try handle.seekToEnd()
        try handle.write(contentsOf: [10])
        try handle.close()
    }

    static func kept(_ lookup: TokenTable.Lookup) -> TokenRecord? {
        if case .kept(let record) = lookup { return record }
        return nil
    }

    static func generation(_ lookup: TokenTable.Lookup) throws -> TokenChanges.Generation {
        guard case .unknown(let generation) = lookup else { throw TableSaid.kept }
        return generation
    }

    enum TableSaid: Error { case kept }

    @Test func aTokenReadOnceIsKeptUntilAnotherProcessChangesTheTokens() throws {
        let (changes, marker) = Self.changesOfNewDatabase()
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let clock = Clock()
        let table = TokenTable(changes: changes, now: { clock.now })
        let bookmaker = Self.record("bookmaker")

        let generation = try Self.generation(table.lookup(hash: bookmaker.hash))
        table.remember(bookmaker, readUnder: generation)
        #expect(Self.kept(table.lookup(hash: bookmaker.hash)) == bookmaker, "the second check reads nothing")
        #expect(Self.kept(table.lookup(hash: Self.record("other").hash)) == nil, "an unknown token is not kept")

        try Self.appendToMarker(marker)  // the first change ever made by another process creates the file
        #expect(Self.kept(table.lookup(hash: bookmaker.hash)) == nil, "every token is read again")
        #expect(table.count == 0)
        table.remember(bookmaker, readUnder: try Self.generation(table.lookup(hash: bookmaker.hash)))
        try Self.appendToMarker(marker)
        #expect(Self.kept(table.lookup(hash: bookmaker.hash)) == nil, "and after each later change")
    }

    @Test func aReadMadeBeforeAChangeIsNotKept() throws {
        let (changes, marker) = Self.changesOfNewDatabase()
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let table = TokenTable(changes: changes)
        let bookmaker = Self.record("bookmaker")
        // The lookup misses, the store is read, and the token is revoked before the read's answer is kept.
        let generation = try Self.generation(table.lookup(hash: bookmaker.hash))
        try Self.appendToMarker(marker)
        table.remember(bookmaker, readUnder: generation)
        #expect(table.count == 0)
        #expect(Self.kept(table.lookup(hash: bookmaker.hash)) == nil)
    }

    @Test func aKeptTokenIsReadAgainAfterTheMaximumAge() throws {
        let clock = Clock()
        let table = TokenTable(changes: TokenChanges(database: nil), now: { clock.now })
        let bookmaker = Self.record("bookmaker")
        table.remember(bookmaker, readUnder: try Self.generation(table.lookup(hash: bookmaker.hash)))
        clock.advance(TokenTable.defaultMaximumAge - .milliseconds(1))
        #expect(Self.kept(table.lookup(hash: bookmaker.hash)) == bookmaker)
        clock.advance(.milliseconds(1))
        #expect(Self.kept(table.lookup(hash: bookmaker.hash)) == nil, "a revocation behind the store's back shows")
    }

    @Test func theTableIsBounded() throws {
        let table = TokenTable(changes: TokenChanges(database: nil))
        for number in 0..<TokenTable.capacity {
            let record = Self.record("token-\(number)")
            table.remember(record, readUnder: try Self.generation(table.lookup(hash: record.hash)))
        }
        #expect(table.count == TokenTable.capacity)
        let one = Self.record("one more")
        table.remember(one, readUnder: try Self.generation(table.lookup(hash: one.hash)))
        #expect(table.count == 1, "a full table is emptied, then takes the new token")
    }

    /// The server's checks, over a real SQLite store: the token is read from the store once, and a revocation,
    /// through this process or the `token` command, applies to the very next check.
    @Test func accessControlReadsATokenOnceAndARevocationAppliesAtOnce() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "matchwire-\(UUID().uuidString).sqlite"
        ).path
        defer {
            for file in [path, path + "-wal", path + "-shm", TokenChanges.marker(ofDatabase: path)] {
                try? FileManager.default.removeItem(atPath: file)
            }
        }
        let sqlite = try await SQLiteEventStore.open(path: path)
        let store = CountingReads(sqlite)
        // Kept tokens trusted for the whole test, however slow the machine: the reads counted are the table's.
        let access = AccessControl(
            store: store, rateLimit: 1000, rateBurst: 1000, refusals: nil, tokenMaximumAge: .seconds(3600))
        var issued: [String] = []
        for name in ["bookmaker", "broadcaster"] {
            let (token, record) = AccessControl.issue(
                name: name, role: .consumer, feeds: [.betting], sports: [.tableTennis], now: .now)
            try await store.insertToken(record)
            issued.append(token)
        }

        #expect(try await access.token(issued[0])?.name == "bookmaker")
        #expect(try await access.token(issued[0])?.name == "bookmaker")
        #expect(
            try access.authorizeStreamFromTable(issued[0], feed: .betting, sport: .tableTennis)?.name == "bookmaker")
        #expect(store.counts["token"] == 1, "read once, then from the table")
        #expect(access.keptToken(issued[1]) == nil, "a token not checked yet is not in the table")

        #expect(try await store.revokeToken(name: "bookmaker"))
        #expect(access.keptToken(issued[0]) == nil, "the table is dropped by the revocation")
        #expect(try await access.token(issued[0]) == nil, "and the next check refuses the token")
        #expect(try await access.token(issued[1])?.name == "broadcaster")
        #expect(throws: APIError.self, "a kept revoked token is refused without a read") {
            try access.authorizeStreamFromTable(issued[0], feed: .betting, sport: .tableTennis)
        }

        // Another process (the `token` command) revokes the second token: its own instance of the store.
        let reads = store.counts["token"]
        let command = try await SQLiteEventStore.open(path: path)
        #expect(try await command.revokeToken(name: "broadcaster"))
        try await command.close()
        #expect(try await access.token(issued[1]) == nil, "refused by the first check after the command")
        #expect(store.counts["token"] == reads.map { $0 + 1 })
        try await sqlite.close()
    }
}
