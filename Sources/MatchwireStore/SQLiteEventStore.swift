import Foundation
import Logging
import MatchwireCore
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// The embedded store: one SQLite file in WAL mode.
///
/// Writes go through one connection, one transaction at a time, with `synchronous=FULL` so that a commit is
/// on disk when `append` returns. Reads use other connections (``SQLiteReaders``), one statement each, and never
/// wait for a write (WAL lets a reader see the last commit while a writer works). Other processes (the `token`
/// and `fixture` commands) may open the same file while the server runs.
public final class SQLiteEventStore: EventStore {
    public let path: String
    private let writer: SQLiteConnection
    private let reader: SQLiteReaders
    /// The log's checkpoints, off the commit path.
    private let checkpoints: WALCheckpoints
    private let writeLock = AsyncSerialLock()
    private let appends = GroupCommit<PendingAppend>(maxWrites: maxAppendsPerCommit)
    private let logger: Logger

    public var description: String { "sqlite \(path)" }

    private let metrics: StoreMetrics
    /// Moved by every token stored or revoked, here or by another process (its marker file is beside the database).
    public let tokenChanges: TokenChanges?
    /// The fixtures read lately, dropped as this store writes them.
    private let kept: KeptFixtures

    private init(
        path: String, writer: SQLiteConnection, reader: SQLiteReaders, checkpoints: WALCheckpoints,
        metrics: StoreMetrics, logger: Logger, kept: KeptFixtures
    ) {
        self.checkpoints = checkpoints
        self.path = path
        self.kept = kept
        self.tokenChanges = TokenChanges(database: path)
        self.metrics = metrics
        self.logger = logger
        self.writer = writer
        self.reader = reader
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date. A fixture read is kept
    /// in memory for at most `keptFixtureAge` (``keptFixture(id:)``); tests lengthen it.
    public static func open(
        path: String, metrics: StoreMetrics = .disabled, logger: Logger = Logger(label: "matchwire.sqlite"),
        keptFixtureAge: Duration = KeptFixtures.defaultMaximumAge
    ) async throws -> SQLiteEventStore {
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await writer.query("PRAGMA busy_timeout = 10000")
            _ = try await writer.query("PRAGMA journal_mode = WAL")
            _ = try await writer.query("PRAGMA synchronous = FULL")
            try await migrate(writer)
            let checkpoints = try await WALCheckpoints.open(path: path, writer: writer)
            let reader: SQLiteReaders
            do {
                reader = try await SQLiteReaders.open(path: path, logger: logger)
            } catch {
                try? await checkpoints.close()
                throw error
            }
            return SQLiteEventStore(
                path: path, writer: writer, reader: reader, checkpoints: checkpoints, metrics: metrics, logger: logger,
                kept: KeptFixtures(maximumAge: keptFixtureAge))
        } catch {
            try? await writer.close()
            throw error
        }
    }

    /// The schema's versions, in order: each brings a database of the version before it to its own, in one
    /// transaction. `PRAGMA user_version` records the version a database has.
    private static let migrations: [[String]] = [
        // 1: fixtures, packets, tokens.
        [
            """
            CREATE TABLE IF NOT EXISTS fixtures (
                id TEXT PRIMARY KEY, sport TEXT NOT NULL, name TEXT NOT NULL, status INTEGER NOT NULL,
                start_date TEXT NOT NULL, body BLOB NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS fixtures_by_sport_start ON fixtures (sport, start_date)",
            """
            CREATE TABLE IF NOT EXISTS packets (
                fixture_id TEXT NOT NULL, seq INTEGER NOT NULL, period INTEGER NOT NULL, action_id TEXT NOT NULL,
                send_type INTEGER NOT NULL, trace_id TEXT NOT NULL, received_at INTEGER NOT NULL,
                submission BLOB NOT NULL, body BLOB NOT NULL, PRIMARY KEY (fixture_id, seq)) WITHOUT ROWID
            """,
            """
            CREATE TABLE IF NOT EXISTS tokens (
                name TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, feeds TEXT NOT NULL,
                sports TEXT NOT NULL, created_at TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)
            """,
        ],
        // 2: packets in a rowid table. Its rows (a packet and its submission, over a kilobyte) are too large for
        // WITHOUT ROWID, where every insert and lookup moves whole rows through the key's tree; inserts are
        // about twice as fast this way. The key (fixture, number) becomes a small index beside it.
        [
            """
            CREATE TABLE packets_2 (
                fixture_id TEXT NOT NULL, seq INTEGER NOT NULL, period INTEGER NOT NULL, action_id TEXT NOT NULL,
                send_type INTEGER NOT NULL, trace_id TEXT NOT NULL, received_at INTEGER NOT NULL,
                submission BLOB NOT NULL, body BLOB NOT NULL, PRIMARY KEY (fixture_id, seq))
            """,
            "INSERT INTO packets_2 SELECT * FROM packets ORDER BY fixture_id, seq",
            "DROP TABLE packets",
            "ALTER TABLE packets_2 RENAME TO packets",
        ],
        // 3: each fixture's update count beside its record, so that an append or a change made from an older
        // record is refused in the transaction, as on PostgreSQL.
        [
            "ALTER TABLE fixtures ADD COLUMN update_count INTEGER NOT NULL DEFAULT 0",
            "UPDATE fixtures SET update_count = COALESCE(json_extract(body, '$.updateCount'), 0)",
        ],
        // 4: statistics packets (protocol.md §5), each stored with the action packet that made it.
        [
            """
            CREATE TABLE statistics (
                fixture_id TEXT NOT NULL, seq INTEGER NOT NULL, fixture_seq INTEGER NOT NULL, body BLOB NOT NULL,
                PRIMARY KEY (fixture_id, seq))
            """,
            "CREATE UNIQUE INDEX statistics_by_packet ON statistics (fixture_id, fixture_seq)",
        ],
    ]

    /// The schema version this code reads and writes.
    public static let schemaVersion = migrations.count

    /// Brings the database to `schemaVersion`, a version at a time. The version is read inside each step's
    /// transaction, so that two processes opening the same file never both run a step. Each turn of the loop
    /// runs one step, or finds the file up to date and stops.
    private static func migrate(_ connection: SQLiteConnection) async throws {
        while try await inTransaction(on: connection, migrateOneStep) {}
    }

    /// Runs the next migration step; false when the file is already at `schemaVersion`.
    @Sendable private static func migrateOneStep(_ connection: SQLiteConnection) async throws -> Bool {
        let version = try await connection.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
        if version > schemaVersion { throw StoreError.newerSchema(version: version, known: schemaVersion) }
        guard version < schemaVersion else { return false }
        for statement in migrations[version] { _ = try await connection.query(statement) }
        _ = try await connection.query("PRAGMA user_version = \(version + 1)")
        return true
    }

    /// Runs one store operation: its errors leave as `StoreError`, the store's own refusals as they are, anything
    /// from SQLite (a full disk, an unreadable file) as `unavailable` with our sentence, SQLite's text logged.
    private func typed<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            if let passing = StoreError.passingThrough(error) { throw passing }
            logger.error("sqlite: \(what) failed: \(String(reflecting: error))")
            throw StoreError.unavailable("The database file could not be used (\(what)).")
        }
    }

    /// The log's checkpoints run to their end so far, and the writer's own automatic checkpoint (in pages); for tests.
    var checkpointsCompleted: Int { checkpoints.completed }
    func writerAutoCheckpointPages() async throws -> Int? {
        try await writer.query("PRAGMA wal_autocheckpoint").first?.column("wal_autocheckpoint")?.integer
    }

    public func close() async throws {
        try await checkpoints.close()
        try await reader.close()
        try await writer.close()
    }

    /// Runs `body` inside one write transaction, rolled back when it throws.
    /// `weight`: the packets it writes, for ``WALCheckpoints`` (1 for anything else).
    private func transaction<T: Sendable>(
        weight: Int = 1, _ body: @escaping @Sendable (SQLiteConnection) async throws -> T
    ) async throws -> T {
        let result = try await writeLock.withLock { [writer] in try await Self.inTransaction(on: writer, body) }
        checkpoints.committed(weight: weight)
        return result
    }

    /// Runs `body` inside one transaction on `connection`, taking the write lock at once; rolled back when it
    /// throws.
    private static func inTransaction<T: Sendable>(
        on connection: SQLiteConnection, _ body: @Sendable (SQLiteConnection) async throws -> T
    ) async throws -> T {
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            let result = try await body(connection)
            _ = try await connection.query("COMMIT")
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    // MARK: Fixtures

    public func insertFixture(_ fixture: Fixture) async throws {
        defer { kept.written(fixture.id) }
        try await typed("storing a fixture") {
            let binds = try Self.fixtureBinds(fixture)
            try await transaction { connection in
                let existing = try await connection.query("SELECT 1 FROM fixtures WHERE id = ?", [binds[0]])
                guard existing.isEmpty else { throw StoreError.duplicate("fixture \(fixture.id.wire)") }
                _ = try await connection.query(
                    """
                    INSERT INTO fixtures (id, sport, name, status, start_date, body, update_count)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, binds)
            }
        }
    }

    public func updateFixture(_ fixture: Fixture, replacing previous: Fixture) async throws {
        defer { kept.written(fixture.id) }
        try await typed("changing a fixture") {
            let binds = try Self.fixtureBinds(fixture)
            try await transaction { connection in
                let stored = try await Self.fixtureVersions(of: [fixture.id], on: connection)[fixture.id]
                guard let stored else { throw StoreError.unknownFixture(fixture.id) }
                guard stored == FixtureVersion(previous) else { throw StoreError.fixtureChanged(fixture.id) }
                try await Self.saveFixtures([binds], on: connection)
            }
        }
    }

    private static func fixtureBinds(_ fixture: Fixture) throws -> [SQLiteData] {
        let body = try FixtureRecord.encode(fixture)
        return [
            .text(fixture.id.wire), .text(fixture.sport.rawValue), .text(fixture.name),
            .integer(fixture.status.rawValue), .text(fixture.startDate.dateTimeText), .blob(ByteBuffer(bytes: body)),
            .integer(fixture.updateCount),
        ]
    }

    private static func decodeFixture(_ row: SQLiteRow) throws -> Fixture {
        try FixtureRecord.decode(
            body: row.column("body")?.blob.map { Array($0.readableBytesView) },
            lastSeqNum: row.column("last_seq")?.integer,
            id: row.column("id")?.string)
    }

    /// The columns a fixture is read from: its record, and its last number from its packets.
    private static let fixtureColumns =
        "id, body, (SELECT MAX(seq) FROM packets WHERE packets.fixture_id = fixtures.id) AS last_seq"

    public func fixture(id: UUID) async throws -> Fixture? {
        let writes = kept.writes
        let fixture = try await typed("reading a fixture") {
            let rows = try await reader.query(
                "SELECT \(Self.fixtureColumns) FROM fixtures WHERE id = ?", [.text(id.wire)])
            return try rows.first.map(Self.decodeFixture)
        }
        if let fixture { kept.remember(fixture, readAfter: writes) }
        return fixture
    }

    public func keptFixture(id: UUID) -> Fixture? { kept.fixture(id: id) }

    public func fixtures(_ query: FixtureQuery) async throws -> FixturePage {
        return try await typed("listing fixtures") {
            var conditions = ["sport = ?"]
            var binds: [SQLiteData] = [.text(query.sport.rawValue)]
            if let status = query.status {
                conditions.append("status = ?")
                binds.append(.integer(status.rawValue))
            }
            if let from = query.dateFrom {
                conditions.append("start_date >= ?")
                binds.append(.text(from))
            }
            if let to = query.dateTo {
                conditions.append("start_date < ?")
                binds.append(.text(to + "T99"))
            }
            let filter = conditions.joined(separator: " AND ")
            let order =
                query.sort.map { "\($0.field == .name ? "name" : "start_date") \($0.ascending ? "ASC" : "DESC")" }
                + ["id ASC"]
            var sql =
                "SELECT \(Self.fixtureColumns) FROM fixtures WHERE \(filter) ORDER BY \(order.joined(separator: ", "))"
            var pageBinds = binds
            if let page = query.page {
                sql += " LIMIT ? OFFSET ?"
                pageBinds += [.integer(page.size), .integer(page.number * page.size)]
            }
            let rows = try await reader.query(sql, pageBinds)
            let fixtures = try rows.map(Self.decodeFixture)
            let total: Int
            if query.page == nil {
                total = fixtures.count
            } else {
                let count = try await reader.query("SELECT COUNT(*) AS n FROM fixtures WHERE \(filter)", binds)
                total = count.first?.column("n")?.integer ?? 0
            }
            return FixturePage(fixtures: fixtures, totalElements: total)
        }
    }

    // MARK: Packets

    /// Stores the packets of one fixture and its new state, after checking that they continue its sequence.
    ///
    /// Group commit: appends that arrive while a write transaction runs wait for the next one, which takes them
    /// all (up to `maxAppendsPerCommit`) in one transaction and one flush. Each call still returns only once
    /// its own packets are durable, and an append that does not continue its fixture's sequence fails alone.
    public func append(_ packets: [StoredPacket], fixture: Fixture, recordChanged: Bool) async throws {
        // Its last number moves with every append, whether or not the record changes.
        defer { kept.written(fixture.id) }
        try await typed("storing actions") {
            guard !packets.isEmpty else { return }
            let fixtureBinds = recordChanged ? try Self.fixtureBinds(fixture) : nil
            try await appends.submit(
                PendingAppend(packets: packets, updateCount: fixture.updateCount, fixtureBinds: fixtureBinds)
            ) { group in await self.commit(group) }
        }
    }

    /// The most appends one group transaction takes; the rest wait for the next.
    static let maxAppendsPerCommit = 256
    /// Rows per multi-row INSERT: 9 values each, well under SQLite's limit of 32,766 bound values.
    private static let rowsPerInsert = 1000

    struct PendingAppend: Sendable {
        let packets: [StoredPacket]
        /// The fixture's `updateCount` the packets were made under.
        let updateCount: Int
        /// The fixture's new record, when the packets changed it.
        let fixtureBinds: [SQLiteData]?
        var fixtureId: UUID { packets[0].fixtureId }
    }

    /// Commits a group and answers each append. When the transaction fails as a whole (a full disk, say), each
    /// append is tried alone, so that one cannot make another fail.
    private func commit(_ group: [PendingAppend]) async -> [(any Error)?] {
        do {
            return try await commitTogether(group)
        } catch  where group.count > 1 {
            var outcomes: [(any Error)?] = []
            for append in group {
                do {
                    outcomes += try await commitTogether([append])
                } catch {
                    outcomes.append(error)
                }
            }
            return outcomes
        } catch {
            return [error]
        }
    }

    /// Writes a group of appends in one transaction. An append that does not continue its fixture's sequence is
    /// refused on its own; the others are committed. Throws when the transaction fails, having written none.
    private func commitTogether(_ group: [PendingAppend]) async throws -> [(any Error)?] {
        let started = ContinuousClock.now
        let refusals = try await transaction(weight: group.reduce(0) { $0 + $1.packets.count }) { connection in
            let versions = try await Self.fixtureVersions(of: Set(group.map(\.fixtureId)), on: connection)
            let refusals = AppendCheck.refusals(
                of: group.map { ($0.fixtureId, $0.updateCount, $0.packets) }, versions: versions)
            let accepted = zip(group, refusals).filter { $0.1 == nil }.map(\.0)
            let packets = accepted.flatMap(\.packets)
            try await Self.insert(packets, on: connection)
            try await Self.insertStatistics(packets.madeStatistics, on: connection)
            // One record per fixture: the last of the group's that changed it.
            let records = Dictionary(
                accepted.compactMap { append in append.fixtureBinds.map { (append.fixtureId, $0) } },
                uniquingKeysWith: { $1 })
            try await Self.saveFixtures(Array(records.values), on: connection)
            return refusals
        }
        metrics.committed(group.count, in: ContinuousClock.now - started)
        return refusals.map { $0 as (any Error)? }
    }

    /// The update count and last `fixtureSeqNum` of each stored fixture among these. One index seek per fixture
    /// for its last number: a `GROUP BY` over the fixtures would read every stored row of each.
    private static func fixtureVersions(of fixtureIds: Set<UUID>, on connection: SQLiteConnection) async throws
        -> [UUID: FixtureVersion]
    {
        let rows = try await connection.query(
            """
            SELECT id, update_count,
                COALESCE((SELECT MAX(seq) FROM packets WHERE fixture_id = fixtures.id), 0) AS last
            FROM fixtures WHERE id IN (\(Array(repeating: "?", count: fixtureIds.count).joined(separator: ", ")))
            """,
            fixtureIds.map { .text($0.wire) })
        var versions: [UUID: FixtureVersion] = [:]
        for row in rows {
            guard let id = row.column("id")?.string.flatMap(UUID.init(uuidString:)),
                let updateCount = row.column("update_count")?.integer, let seq = row.column("last")?.integer
            else { throw StoreError.corruptRow("fixture \(row.column("id")?.string ?? "?")") }
            versions[id] = FixtureVersion(updateCount: updateCount, lastSeqNum: seq)
        }
        return versions
    }

    private static func insert(_ packets: [StoredPacket], on connection: SQLiteConnection) async throws {
        for start in stride(from: 0, to: packets.count, by: rowsPerInsert) {
            let rows = packets[start..<min(start + rowsPerInsert, packets.count)]
            _ = try await connection.query(
                """
                INSERT INTO packets (fixture_id, seq, period, action_id, send_type, trace_id, received_at, submission, body)
                VALUES \(placeholders(rows: rows.count, columns: 9))
                """,
                rows.flatMap { packet -> [SQLiteData] in
                    [
                        .text(packet.fixtureId.wire), .integer(packet.seqNum), .integer(packet.period),
                        .text(packet.actionId.wire), .integer(packet.sendType.rawValue), .text(packet.traceId),
                        .integer(Int(packet.receivedAt.microseconds)), .blob(ByteBuffer(bytes: packet.submission)),
                        .blob(ByteBuffer(bytes: packet.bytes)),
                    ]
                })
        }
    }

    /// Stores statistics packets of fixtures; with `ignoringStored`, one whose number is stored already is left.
    private static func insertStatistics(
        _ statistics: [(fixtureId: UUID, statistics: StoredStatistics)], ignoringStored: Bool = false,
        on connection: SQLiteConnection
    ) async throws {
        for start in stride(from: 0, to: statistics.count, by: rowsPerInsert) {
            let rows = statistics[start..<min(start + rowsPerInsert, statistics.count)]
            _ = try await connection.query(
                """
                INSERT \(ignoringStored ? "OR IGNORE " : "")INTO statistics (fixture_id, seq, fixture_seq, body)
                VALUES \(placeholders(rows: rows.count, columns: 4))
                """,
                rows.flatMap { row -> [SQLiteData] in
                    [
                        .text(row.fixtureId.wire), .integer(row.statistics.seqNum),
                        .integer(row.statistics.fixtureSeqNum), .blob(ByteBuffer(bytes: row.statistics.bytes)),
                    ]
                })
        }
    }

    /// Saves several fixtures, given as `fixtureBinds`, in one statement; each must exist.
    private static func saveFixtures(_ fixtures: [[SQLiteData]], on connection: SQLiteConnection) async throws {
        guard !fixtures.isEmpty else { return }
        let changed = try await connection.query(
            """
            UPDATE fixtures SET sport = v.column2, name = v.column3, status = v.column4, start_date = v.column5,
                body = v.column6, update_count = v.column7
            FROM (VALUES \(placeholders(rows: fixtures.count, columns: 7))) AS v WHERE fixtures.id = v.column1
            RETURNING fixtures.id
            """, fixtures.flatMap { $0 })
        guard changed.count == fixtures.count else {
            let saved = Set(changed.compactMap { $0.column("id")?.string })
            let missing = fixtures.compactMap { $0[0].string }.first { !saved.contains($0) }
            throw StoreError.unknownFixture(UUID(uuidString: missing ?? "") ?? UUID())
        }
    }

    /// `(?, ?), (?, ?)` for two rows of two columns.
    private static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    public func packets(fixtureId: UUID, after seqNum: Int, limit: Int) async throws -> [StoredPacket] {
        return try await typed("reading actions") {
            let rows = try await reader.query(
                """
                SELECT p.seq AS seq, p.period AS period, p.action_id AS action_id, p.send_type AS send_type,
                    p.trace_id AS trace_id, p.received_at AS received_at, p.submission AS submission, p.body AS body,
                    s.seq AS statistics_seq, s.body AS statistics_body
                FROM packets p LEFT JOIN statistics s ON s.fixture_id = p.fixture_id AND s.fixture_seq = p.seq
                WHERE p.fixture_id = ? AND p.seq > ? ORDER BY p.seq LIMIT ?
                """,
                [.text(fixtureId.wire), .integer(seqNum), .integer(limit)])
            // A row that cannot be read is an error, never skipped: a stream would pass over its number.
            return try rows.map { row in
                guard let seq = row.column("seq")?.integer, let period = row.column("period")?.integer,
                    let actionId = row.column("action_id")?.string.flatMap(UUID.init(uuidString:)),
                    let sendType = row.column("send_type")?.integer.flatMap(SendType.init(rawValue:)),
                    let traceId = row.column("trace_id")?.string, let received = row.column("received_at")?.integer,
                    let submission = row.column("submission")?.blob, let body = row.column("body")?.blob
                else {
                    throw StoreError.corruptRow(
                        "packet \(row.column("seq")?.integer.map(String.init) ?? "?") of fixture \(fixtureId.wire)")
                }
                var statistics: StoredStatistics?
                if let statisticsSeq = row.column("statistics_seq")?.integer {
                    guard let statisticsBody = row.column("statistics_body")?.blob else {
                        throw StoreError.corruptRow("statistics \(statisticsSeq) of fixture \(fixtureId.wire)")
                    }
                    statistics = StoredStatistics(
                        seqNum: statisticsSeq, fixtureSeqNum: seq, receivedAt: Timestamp(microseconds: Int64(received)),
                        bytes: Array(statisticsBody.readableBytesView))
                }
                return StoredPacket(
                    fixtureId: fixtureId, seqNum: seq, period: period, actionId: actionId, sendType: sendType,
                    traceId: traceId, receivedAt: Timestamp(microseconds: Int64(received)),
                    submission: Array(submission.readableBytesView), bytes: Array(body.readableBytesView),
                    statistics: statistics)
            }
        }
    }

    // MARK: Statistics

    public func statistics(fixtureId: UUID, after seqNum: Int, limit: Int) async throws -> [StoredStatistics] {
        try await typed("reading statistics") {
            try Self.statistics(
                in: try await reader.query(
                    """
                    \(Self.statisticsSelect) WHERE s.fixture_id = ? AND s.seq > ? ORDER BY s.seq LIMIT ?
                    """, [.text(fixtureId.wire), .integer(seqNum), .integer(limit)]),
                of: fixtureId)
        }
    }

    public func latestStatistics(fixtureId: UUID) async throws -> StoredStatistics? {
        try await typed("reading statistics") {
            try Self.statistics(
                in: try await reader.query(
                    "\(Self.statisticsSelect) WHERE s.fixture_id = ? ORDER BY s.seq DESC LIMIT 1",
                    [.text(fixtureId.wire)]),
                of: fixtureId
            ).first
        }
    }

    public func insertMissingStatistics(_ statistics: [StoredStatistics], fixtureId: UUID) async throws {
        guard !statistics.isEmpty else { return }
        try await typed("storing statistics") {
            try await transaction { connection in
                try await Self.insertStatistics(
                    statistics.map { (fixtureId, $0) }, ignoringStored: true, on: connection)
            }
        }
    }

    /// Statistics rows with the receipt time of the action packet that made each (a row whose packet is missing
    /// has none, and is a corrupt row).
    private static let statisticsSelect = """
        SELECT s.seq AS seq, s.fixture_seq AS fixture_seq, s.body AS body, p.received_at AS received_at
        FROM statistics s LEFT JOIN packets p ON p.fixture_id = s.fixture_id AND p.seq = s.fixture_seq
        """

    private static func statistics(in rows: [SQLiteRow], of fixtureId: UUID) throws -> [StoredStatistics] {
        try rows.map { row in
            guard let seq = row.column("seq")?.integer, let fixtureSeq = row.column("fixture_seq")?.integer,
                let body = row.column("body")?.blob, let received = row.column("received_at")?.integer
            else {
                throw StoreError.corruptRow(
                    "statistics \(row.column("seq")?.integer.map(String.init) ?? "?") of fixture \(fixtureId.wire)")
            }
            return StoredStatistics(
                seqNum: seq, fixtureSeqNum: fixtureSeq, receivedAt: Timestamp(microseconds: Int64(received)),
                bytes: Array(body.readableBytesView))
        }
    }

    public func packetBytes(fixtureId: UUID, order: PacketOrder) async throws -> [[UInt8]] {
        return try await typed("reading actions") {
            let orderBy = order == .seqNum ? "seq" : "period, seq"
            let rows = try await reader.query(
                "SELECT body FROM packets WHERE fixture_id = ? ORDER BY \(orderBy)", [.text(fixtureId.wire)])
            return try rows.map { row in
                guard let body = row.column("body")?.blob else {
                    throw StoreError.corruptRow("packet body of fixture \(fixtureId.wire)")
                }
                return Array(body.readableBytesView)
            }
        }
    }

    public func lastSeqNum(fixtureId: UUID) async throws -> Int {
        return try await typed("reading a fixture") {
            try await reader.withConnection { try await Self.fixtureVersions(of: [fixtureId], on: $0) }[fixtureId]?
                .lastSeqNum ?? 0
        }
    }

    // MARK: Tokens

    public func insertToken(_ token: TokenRecord) async throws {
        try await typed("storing a token") {
            try await transaction { connection in
                let existing = try await connection.query(
                    "SELECT 1 FROM tokens WHERE name = ? OR hash = ?", [.text(token.name), .text(token.hash)])
                guard existing.isEmpty else { throw StoreError.duplicate("token \(token.name)") }
                let columns = TokenColumns(token)
                _ = try await connection.query(
                    "INSERT INTO tokens (name, hash, role, feeds, sports, created_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        .text(token.name), .text(token.hash), .text(token.role.rawValue), .text(columns.feeds ?? ""),
                        .text(columns.sports ?? ""), .text(columns.createdAt ?? ""), .integer(token.revoked ? 1 : 0),
                    ])
            }
        }
        tokenChanges?.changed()
    }

    private static func decodeToken(_ row: SQLiteRow) throws -> TokenRecord {
        try TokenColumns(
            name: row.column("name")?.string, hash: row.column("hash")?.string, role: row.column("role")?.string,
            feeds: row.column("feeds")?.string, sports: row.column("sports")?.string,
            createdAt: row.column("created_at")?.string, revoked: row.column("revoked")?.integer.map { $0 != 0 }
        ).record()
    }

    public func token(hash: String) async throws -> TokenRecord? {
        return try await typed("reading a token") {
            let rows = try await reader.query("SELECT * FROM tokens WHERE hash = ?", [.text(hash)])
            return try rows.first.map(Self.decodeToken)
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        return try await typed("reading tokens") {
            try await reader.query("SELECT * FROM tokens ORDER BY created_at, name").map(Self.decodeToken)
        }
    }

    public func revokeToken(name: String) async throws -> Bool {
        let revoked = try await typed("revoking a token") {
            try await transaction { connection in
                !(try await connection.query(
                    "UPDATE tokens SET revoked = 1 WHERE name = ? RETURNING name", [.text(name)]))
                    .isEmpty
            }
        }
        if revoked { tokenChanges?.changed() }
        return revoked
    }
}
