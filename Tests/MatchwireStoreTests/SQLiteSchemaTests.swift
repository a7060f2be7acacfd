import Foundation
import MatchwireCore
import MatchwireStore
import SQLiteNIO
import Testing

/// The SQLite file's schema across versions: an older database is brought up to date with its data, a newer
/// one is refused with a sentence.
@Suite struct SQLiteSchemaTests {
    static func newPath() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("matchwire-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("store.sqlite").path
    }

    /// The marker file that tells other processes a token changed (``TokenChanges``) is made with the database's
    /// own permissions; one that cannot be written fails nothing (the change is committed) and is reported, so
    /// that the `token` command can say when a running server will see the change.
    @Test func theTokenMarkerTakesTheDatabasesPermissionsAndAnUnwritableOneIsReported() async throws {
        let path = try Self.newPath()
        let token = TokenRecord(
            name: "bookmaker", hash: String(repeating: "ab", count: 32), role: .consumer, feeds: [.betting],
            sports: [.tableTennis], createdAt: Timestamp(millisecondsSince1970: 1_747_729_800_000))
        let store = try await SQLiteEventStore.open(path: path)
        try await store.close()
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let reopened = try await SQLiteEventStore.open(path: path)
        try await reopened.insertToken(token)
        let marker = TokenChanges.marker(ofDatabase: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: marker)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(reopened.tokenChanges?.markerWriteFailed == false)
        try await reopened.close()

        // A folder where the marker should be: it cannot be opened for appending.
        let other = try Self.newPath()
        try FileManager.default.createDirectory(
            atPath: TokenChanges.marker(ofDatabase: other), withIntermediateDirectories: false)
        let blocked = try await SQLiteEventStore.open(path: other)
        try await blocked.insertToken(token)
        #expect(try await blocked.token(hash: token.hash) == token, "the token is stored all the same")
        #expect(blocked.tokenChanges?.markerWriteFailed == true)
        try await blocked.close()
    }

    @Test func aVersionOneDatabaseKeepsItsFixturesPacketsAndTokens() async throws {
        let path = try Self.newPath()
        let fixture = makeFixture()
        let packets = (1...3).map { makePacket(fixture, seq: $0) }
        // Written by the version 1 schema, as the first releases did.
        let old = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in [
            """
            CREATE TABLE fixtures (id TEXT PRIMARY KEY, sport TEXT NOT NULL, name TEXT NOT NULL,
                status INTEGER NOT NULL, start_date TEXT NOT NULL, body BLOB NOT NULL)
            """,
            """
            CREATE TABLE packets (fixture_id TEXT NOT NULL, seq INTEGER NOT NULL, period INTEGER NOT NULL,
                action_id TEXT NOT NULL, send_type INTEGER NOT NULL, trace_id TEXT NOT NULL,
                received_at INTEGER NOT NULL, submission BLOB NOT NULL, body BLOB NOT NULL,
                PRIMARY KEY (fixture_id, seq)) WITHOUT ROWID
            """,
            """
            CREATE TABLE tokens (name TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
                feeds TEXT NOT NULL, sports TEXT NOT NULL, created_at TEXT NOT NULL,
                revoked INTEGER NOT NULL DEFAULT 0)
            """,
            "INSERT INTO tokens VALUES ('scout', 'abc', 'scout', 'betting', 'tabletennis', '2025-05-20T08:30:00.000Z', 0)",
            "PRAGMA user_version = 1",
        ] {
            _ = try await old.query(statement)
        }
        _ = try await old.query(
            "INSERT INTO fixtures VALUES (?, 'tabletennis', ?, 0, ?, ?)",
            [
                .text(fixture.id.wire), .text(fixture.name), .text(fixture.startDate.dateTimeText),
                .blob(ByteBuffer(bytes: try JSONEncoder().encode(fixture))),
            ])
        for packet in packets {
            _ = try await old.query(
                "INSERT INTO packets VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)",
                [
                    .text(fixture.id.wire), .integer(packet.seqNum), .text(packet.actionId.wire),
                    .integer(packet.sendType.rawValue), .text(packet.traceId),
                    .integer(Int(packet.receivedAt.microseconds)), .blob(ByteBuffer(bytes: packet.submission)),
                    .blob(ByteBuffer(bytes: packet.bytes)),
                ])
        }
        try await old.close()

        let store = try await SQLiteEventStore.open(path: path)
        #expect(try await store.packets(fixtureId: fixture.id, after: 0, limit: 10) == packets)
        #expect(try await store.fixture(id: fixture.id)?.lastSeqNum == 3)
        #expect(try await store.token(hash: "abc")?.name == "scout")
        try await store.append([makePacket(fixture, seq: 4)], fixture: fixture, recordChanged: false)
        await #expect(throws: StoreError.sequenceConflict(fixtureId: fixture.id, expected: 5, got: 4)) {
            try await store.append([makePacket(fixture, seq: 4)], fixture: fixture, recordChanged: false)
        }
        try await store.close()

        let check = try await SQLiteConnection.open(storage: .file(path: path))
        let version = try await check.query("PRAGMA user_version").first?.column("user_version")?.integer
        let table = try await check.query("SELECT sql FROM sqlite_schema WHERE name = 'packets'").first?.column("sql")
        try await check.close()
        #expect(version == SQLiteEventStore.schemaVersion)
        #expect(table?.string?.contains("WITHOUT ROWID") == false)
    }

    @Test func aDatabaseOfANewerSchemaIsRefusedWithASentence() async throws {
        let path = try Self.newPath()
        let newer = try await SQLiteConnection.open(storage: .file(path: path))
        _ = try await newer.query("PRAGMA user_version = \(SQLiteEventStore.schemaVersion + 1)")
        try await newer.close()
        let error = await #expect(throws: StoreError.self) { try await SQLiteEventStore.open(path: path) }
        #expect(error?.description.contains("Use a newer Matchwire") == true)
    }
}
