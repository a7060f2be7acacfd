import Foundation
import Logging
import MatchwireCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The shared store: one PostgreSQL database that several Matchwire nodes use at once.
///
/// Queries go through postgres-nio's `PostgresClient`, a pool that runs as a service (``run()``), which also
/// brings the schema up to date and keeps the node's listening connection (``AppendListener``). Every operation
/// is bounded by `operationTimeout`: a database that does not answer makes it throw `StoreError.unavailable`
/// rather than hang, and no driver error leaves this type untyped (the driver's text goes to the log).
///
/// Numbers: each fixture's row holds `last_seq`. An append updates it from the number before its first packet
/// to its last, in the same transaction as the packets' insert (one statement, between BEGIN and COMMIT: three
/// round trips; appends that wait for each other go in one transaction, see ``append(_:fixture:recordChanged:)``),
/// so the row stays locked until the commit: two
/// nodes appending to one fixture are serialised by PostgreSQL, numbers never repeat or skip, and a fixture's
/// packets commit in number order (a reader that sees number n sees every number before it). The append then
/// sends a NOTIFY with the fixture's id, a wake-up for the other nodes, committed with the packets.
public final class PostgresEventStore: EventStore, Service {
    /// `postgres host:port/database`: never the password.
    public let description: String
    /// The longest any operation waits, for a connection and for the database's answer.
    public let operationTimeout: Duration
    private let client: PostgresClient
    private let listener: AppendListener
    private let schema = SchemaGate()
    private let appends = GroupCommit<PendingAppend>(
        maxWrites: PostgresEventStore.maxAppendsPerCommit, maxWeight: PostgresEventStore.rowsPerInsert)
    private let metrics: StoreMetrics
    private let logger: Logger

    public var appendNotifications: AppendNotifications? { listener.notifications }

    /// The NOTIFY channel of appends.
    static let channel = "matchwire_appends"

    /// A store on the database the URL names (`postgres://user:password@host:port/database`, with
    /// `?sslmode=disable|prefer|require`, default `prefer`). Connects nothing until ``run()`` runs.
    public init(
        url: String, operationTimeout: Duration = .seconds(5), metrics: StoreMetrics = .disabled, logger: Logger
    ) throws {
        let location = try PostgresLocation(url: url)
        var configuration = location.clientConfiguration
        // The ingest answer goes out after the commit: the commit must be durable, whatever the server's default.
        // The server bounds each statement, each lock wait and each pause inside a transaction by the operation's
        // time limit too: postgres-nio does not cancel a query whose task is cancelled, so without these a
        // transaction abandoned at its limit would go on holding its connection and its fixtures' row locks.
        let milliseconds = String(
            operationTimeout.components.seconds * 1000 + operationTimeout.components.attoseconds / 1_000_000_000_000_000
        )
        configuration.options.additionalStartupParameters = [
            ("synchronous_commit", "on"), ("application_name", "matchwire"), ("statement_timeout", milliseconds),
            ("lock_timeout", milliseconds), ("idle_in_transaction_session_timeout", milliseconds),
        ]
        configuration.options.maximumConnections = 20
        configuration.options.connectTimeout = operationTimeout
        self.description = "postgres \(location.displayName)"
        self.operationTimeout = operationTimeout
        self.metrics = metrics
        self.logger = logger
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.listener = AppendListener(
            configuration: try location.listenerConfiguration(timeout: operationTimeout), channel: Self.channel,
            metrics: metrics.listener(), logger: logger)
    }

    /// Runs the connection pool, brings the schema up to date (retrying while the database cannot be reached),
    /// and keeps the listening connection, until cancelled or shut down. Throws `newerSchema` when the database
    /// was written by a newer Matchwire.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await self.client.run() }
                group.addTask { try await self.migrateWhenReachable() }
                group.addTask { await self.listener.run() }
            }
        }
    }

    /// Runs `body` with the store running, for a command that uses the store and ends (`token`, `import`...).
    public func whileRunning<T: Sendable>(_ body: @Sendable (PostgresEventStore) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            defer { group.cancelAll() }
            try await bounded("opening the database") { try await self.schema.wait() }
            return try await body(self)
        }
    }

    public func close() async throws {}

    /// Whether the schema is up to date: a readiness check.
    public var isMigrated: Bool { schema.isOpen }

    // MARK: Schema

    /// The schema's versions, in order: each brings a database of the version before it to its own.
    static let migrations: [[String]] = [
        // 1: fixtures with their last number, packets, tokens.
        [
            """
            CREATE TABLE fixtures (
                id uuid PRIMARY KEY, sport text NOT NULL, name text NOT NULL, status integer NOT NULL,
                start_date text NOT NULL, update_count integer NOT NULL, last_seq bigint NOT NULL DEFAULT 0,
                body bytea NOT NULL)
            """,
            "CREATE INDEX fixtures_by_sport_start ON fixtures (sport, start_date)",
            """
            CREATE TABLE packets (
                fixture_id uuid NOT NULL REFERENCES fixtures (id), seq bigint NOT NULL, period integer NOT NULL,
                action_id uuid NOT NULL, send_type integer NOT NULL, trace_id text NOT NULL,
                received_at bigint NOT NULL, submission bytea NOT NULL, body bytea NOT NULL,
                PRIMARY KEY (fixture_id, seq))
            """,
            """
            CREATE TABLE tokens (
                name text PRIMARY KEY, hash text NOT NULL UNIQUE, role text NOT NULL, feeds text NOT NULL,
                sports text NOT NULL, created_at text NOT NULL, revoked boolean NOT NULL DEFAULT false)
            """,
        ],
        // 2: statistics packets (protocol.md §5), each stored with the action packet that made it.
        [
            """
            CREATE TABLE statistics (
                fixture_id uuid NOT NULL REFERENCES fixtures (id), seq bigint NOT NULL, fixture_seq bigint NOT NULL,
                body bytea NOT NULL, PRIMARY KEY (fixture_id, seq))
            """,
            "CREATE UNIQUE INDEX statistics_by_packet ON statistics (fixture_id, fixture_seq)",
        ],
    ]

    /// The schema version this code reads and writes.
    public static let schemaVersion = migrations.count

    /// The advisory lock every node takes to migrate: nodes starting together migrate once, one after another.
    static let migrationLock: Int64 = 0x6D61_7463_6877_6972  // "matchwir"

    private func migrateWhenReachable() async throws {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                try await bounded("bringing the schema up to date", afterMigration: false) { try await self.migrate() }
                schema.open(nil)
                return
            } catch let error as StoreError {
                if case .newerSchema = error {
                    schema.open(error)
                    throw error
                }
                logger.warning("postgres: the schema could not be checked yet (\(error)); trying again")
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// Brings the database to `schemaVersion` in one transaction, under the advisory lock.
    private func migrate() async throws {
        try await transaction { connection in
            _ = try await connection.query(
                "SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: self.logger
            ).collect()
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS matchwire_schema (version integer NOT NULL)", logger: self.logger)
            var version = 0
            for try await stored in try await connection.query(
                "SELECT version FROM matchwire_schema", logger: self.logger
            ).decode(Int.self) {
                version = stored
            }
            if version > Self.schemaVersion {
                throw StoreError.newerSchema(version: version, known: Self.schemaVersion)
            }
            guard version < Self.schemaVersion else { return }
            for step in Self.migrations[version...] {
                for statement in step {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
            }
            try await connection.query("DELETE FROM matchwire_schema", logger: self.logger)
            try await connection.query(
                "INSERT INTO matchwire_schema (version) VALUES (\(Self.schemaVersion))", logger: self.logger)
            self.logger.info("postgres: schema brought from version \(version) to \(Self.schemaVersion)")
        }
    }

    // MARK: Fixtures

    public func insertFixture(_ fixture: Fixture) async throws {
        let body = ByteBuffer(bytes: try FixtureRecord.encode(fixture))
        try await bounded("storing a fixture") {
            let inserted = try await self.client.query(
                """
                INSERT INTO fixtures (id, sport, name, status, start_date, update_count, body)
                VALUES (\(fixture.id), \(fixture.sport.rawValue), \(fixture.name), \(fixture.status.rawValue),
                    \(fixture.startDate.dateTimeText), \(fixture.updateCount), \(body))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, logger: self.logger
            ).collect()
            guard !inserted.isEmpty else { throw StoreError.duplicate("fixture \(fixture.id.wire)") }
        }
    }

    public func updateFixture(_ fixture: Fixture, replacing previous: Fixture) async throws {
        let body = ByteBuffer(bytes: try FixtureRecord.encode(fixture))
        try await bounded("changing a fixture") {
            try await self.transaction { connection in
                let changed = try await connection.query(
                    """
                    UPDATE fixtures SET sport = \(fixture.sport.rawValue), name = \(fixture.name),
                        status = \(fixture.status.rawValue), start_date = \(fixture.startDate.dateTimeText),
                        update_count = \(fixture.updateCount), body = \(body)
                    WHERE id = \(fixture.id) AND update_count = \(previous.updateCount)
                        AND last_seq = \(previous.lastSeqNum)
                    RETURNING id
                    """, logger: self.logger
                ).collect()
                if changed.isEmpty { throw try await self.refusal(fixtureId: fixture.id, on: connection, first: nil) }
            }
        }
    }

    public func fixture(id: UUID) async throws -> Fixture? {
        try await bounded("reading a fixture") {
            try await self.fixtures(
                in: try await self.client.query(
                    "SELECT id, body, last_seq FROM fixtures WHERE id = \(id)", logger: self.logger)
            ).first
        }
    }

    public func fixtures(_ query: FixtureQuery) async throws -> FixturePage {
        var binds = PostgresBindings()
        var conditions: [String] = []
        func condition(_ sql: String, _ value: some PostgresDynamicTypeEncodable) {
            binds.append(value)
            conditions.append(sql.replacingOccurrences(of: "?", with: "$\(binds.count)"))
        }
        condition("sport = ?", query.sport.rawValue)
        if let status = query.status { condition("status = ?", status.rawValue) }
        if let from = query.dateFrom { condition("start_date >= ?", from) }
        if let to = query.dateTo { condition("start_date < ?", to + "T99") }
        let filter = conditions.joined(separator: " AND ")
        // Byte order for names, as SQLite sorts, whatever the database's collation.
        let order =
            query.sort.map {
                "\($0.field == .name ? "name COLLATE \"C\"" : "start_date") \($0.ascending ? "ASC" : "DESC")"
            }
            + ["id ASC"]
        var sql = "SELECT id, body, last_seq FROM fixtures WHERE \(filter) ORDER BY \(order.joined(separator: ", "))"
        var pageBinds = binds
        if let page = query.page {
            pageBinds.append(page.size)
            pageBinds.append(page.number * page.size)
            sql += " LIMIT $\(pageBinds.count - 1) OFFSET $\(pageBinds.count)"
        }
        let (listing, filterBinds) = (PostgresQuery(unsafeSQL: sql, binds: pageBinds), binds)
        return try await bounded("listing fixtures") {
            let fixtures = try await self.fixtures(
                in: try await self.client.query(listing, logger: self.logger))
            guard query.page != nil else { return FixturePage(fixtures: fixtures, totalElements: fixtures.count) }
            var total = 0
            for try await count in try await self.client.query(
                PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM fixtures WHERE \(filter)", binds: filterBinds),
                logger: self.logger
            ).decode(Int.self) {
                total = count
            }
            return FixturePage(fixtures: fixtures, totalElements: total)
        }
    }

    private func fixtures(in rows: PostgresRowSequence) async throws -> [Fixture] {
        var fixtures: [Fixture] = []
        for try await row in rows {
            let (id, body, last) = try Self.decoding("fixture") { try row.decode((UUID?, ByteBuffer?, Int?).self) }
            fixtures.append(
                try FixtureRecord.decode(
                    body: body.map { Array($0.readableBytesView) }, lastSeqNum: last, id: id?.wire))
        }
        return fixtures
    }

    // MARK: Packets

    /// Packets per statement: 9 values each and 4 for a statistics packet, with a group's fixtures (6 each, at
    /// most 256), under PostgreSQL's 65,535 bound values. An append of at most this many packets is one
    /// statement, and so is a group of appends of at most this many in all.
    private static let rowsPerInsert = 4000
    /// The most appends one group transaction takes; the rest wait for the next.
    static let maxAppendsPerCommit = 256

    struct PendingAppend: Sendable {
        let packets: [StoredPacket]
        /// The fixture as the packets leave it.
        let fixture: Fixture
        /// Its new record, when the packets changed it.
        let body: ByteBuffer?
    }

    /// Group commit, as on SQLite: appends that arrive while this node commits a group wait for the next, which
    /// takes them together (up to ``maxAppendsPerCommit`` appends and ``rowsPerInsert`` packets): one
    /// transaction, one flush and four round trips for all of them. A group of one goes as one statement.
    /// Each call returns once its own packets are durable (or refused alone). Each group's transaction is
    /// bounded by `operationTimeout` (a millisecond more per packet), and so is a call's whole wait, queue
    /// included, at twice that: past it the call answers `unavailable`, and its append may still commit with its
    /// group (an outcome unknown, as for any write that timed out; the scout's retry is idempotent).
    public func append(_ packets: [StoredPacket], fixture: Fixture, recordChanged: Bool) async throws {
        guard !packets.isEmpty else { return }
        if let gap = AppendCheck.consecutive(packets, fixtureId: fixture.id) { throw gap }
        let append = PendingAppend(
            packets: packets, fixture: fixture,
            body: recordChanged ? ByteBuffer(bytes: try FixtureRecord.encode(fixture)) : nil)
        guard packets.count <= Self.rowsPerInsert else {
            // A large append (an import) goes alone, with a millisecond more per packet: 12,000 packets, 12 s more.
            return try await bounded("storing actions", extra: .milliseconds(packets.count)) {
                try await self.appendLarge(append)
            }
        }
        // The queue's wait and the group's own transaction: two operations' time at most.
        try await bounded("storing actions", extra: operationTimeout + .milliseconds(packets.count)) {
            try await self.appends.submit(append, weight: packets.count) { group in await self.commit(group) }
        }
    }

    /// Commits a group and answers each append: a refusal to the append it concerns; when a statement of the
    /// group fails (a row the database refuses), each append is tried alone (the fixtures side by side), each
    /// within its own time limit, so that one cannot fail the others; when the database cannot be reached or does
    /// not answer in time, every append of the group gets that error.
    private func commit(_ group: [PendingAppend]) async -> [(any Error)?] {
        if group.count > 1 {
            let packets = group.reduce(0) { $0 + $1.packets.count }
            do {
                let together = try await bounded("storing actions", extra: .milliseconds(packets)) {
                    // Measured from the wait for a pooled connection to the confirmed commit: what an ingest waits.
                    let started = ContinuousClock.now
                    let refusals = try await self.appendTogether(group)
                    if refusals != nil { self.metrics.committed(group.count, in: ContinuousClock.now - started) }
                    return refusals
                }
                if let together { return together.map { $0 as (any Error)? } }
            } catch {
                return group.map { _ in error }
            }
        }
        // Alone: the fixtures side by side on the pool's connections, each fixture's appends in their order, each
        // append within its own time limit.
        var byFixture: [UUID: [Int]] = [:]
        for (index, append) in group.enumerated() { byFixture[append.fixture.id, default: []].append(index) }
        return await withTaskGroup(of: [(Int, (any Error)?)].self) { tasks in
            for indices in byFixture.values {
                tasks.addTask {
                    var outcomes: [(Int, (any Error)?)] = []
                    for index in indices { outcomes.append((index, await self.commitAlone(group[index]))) }
                    return outcomes
                }
            }
            var outcomes = [(any Error)?](repeating: nil, count: group.count)
            for await answered in tasks {
                for (index, outcome) in answered { outcomes[index] = outcome }
            }
            return outcomes
        }
    }

    /// One append alone, within its own time limit: nil when committed, else why not.
    private func commitAlone(_ append: PendingAppend) async -> (any Error)? {
        do {
            return try await bounded("storing actions", extra: .milliseconds(append.packets.count)) {
                let started = ContinuousClock.now
                let refusal = try await self.appendAlone(append)
                self.metrics.committed(1, in: ContinuousClock.now - started)
                return refusal
            }
        } catch {
            return error
        }
    }

    /// One append in one statement, inside an explicit transaction, so that the answer goes out only after a
    /// COMMIT that PostgreSQL confirmed (an error at commit cannot hide behind the statement's own success).
    /// Answers its refusal, or `unavailable` when the database refused a statement; throws when the database
    /// cannot be reached.
    private func appendAlone(_ append: PendingAppend) async throws -> StoreError? {
        let (packets, fixture) = (append.packets, append.fixture)
        do {
            try await transaction { connection in
                let counts = try await connection.query(
                    Self.appendStatement(packets[...], fixture: fixture, body: append.body), logger: self.logger)
                var moved = 0
                for try await count in counts.decode(Int.self) { moved = count }
                if moved == 0 {
                    throw try await self.refusal(fixtureId: fixture.id, on: connection, first: packets[0].seqNum)
                }
            }
            return nil
        } catch let refusal as StoreError {
            return refusal
        } catch let error as PSQLError where error.code == .server {
            logger.warning(
                "postgres: storing actions of fixture \(fixture.id.wire) failed: \(String(reflecting: error))")
            return .unavailable("The database could not store the actions (storing actions).")
        }
    }

    /// Several appends in one transaction: their fixtures' rows read and locked in id order (two nodes' groups
    /// never wait for each other in a circle), each append checked against them as SQLite checks its groups,
    /// then the accepted ones written in one statement: the rows moved on, the packets inserted, a NOTIFY per
    /// fixture. Answers each append's refusal, or nil when the database refused a statement (nothing written: the
    /// appends are to be tried alone); throws, having written nothing, when the database cannot be reached.
    private func appendTogether(_ group: [PendingAppend]) async throws -> [StoreError?]? {
        do {
            return try await appendTogetherOrFail(group)
        } catch let error as PSQLError where error.code == .server {
            logger.warning(
                "postgres: a group of \(group.count) appends failed (\(String(reflecting: error))); each is tried alone"
            )
            return nil
        }
    }

    private func appendTogetherOrFail(_ group: [PendingAppend]) async throws -> [StoreError?] {
        try await transaction { connection in
            let ids = Array(Set(group.map(\.fixture.id)))
            var versions: [UUID: FixtureVersion] = [:]
            for try await (id, last, updateCount) in try await connection.query(
                "SELECT id, last_seq, update_count FROM fixtures WHERE id = ANY(\(ids)) ORDER BY id FOR NO KEY UPDATE",
                logger: self.logger
            ).decode((UUID, Int, Int).self) {
                versions[id] = FixtureVersion(updateCount: updateCount, lastSeqNum: last)
            }
            let refusals = AppendCheck.refusals(
                of: group.map { ($0.fixture.id, $0.fixture.updateCount, $0.packets) }, versions: versions)
            let accepted = zip(group, refusals).filter { $0.1 == nil }.map(\.0)
            if !accepted.isEmpty {
                // The rows are read to the end: postgres-nio hands over a statement that returns rows before it has
                // run, and its error (a duplicate key, say) comes with the rows. Unread, the error would be lost
                // and the COMMIT would end the failed transaction as a ROLLBACK, without an error.
                var moved = 0
                for try await count in try await connection.query(Self.groupStatement(accepted), logger: self.logger)
                    .decode(Int.self)
                {
                    moved = count
                }
                guard moved == Set(accepted.map(\.fixture.id)).count else {
                    throw StoreError.unavailable(
                        "The database did not move every fixture of a group (storing actions).")
                }
            }
            return refusals
        }
    }

    /// The accepted appends of a group in one statement: each fixture's row moved to its last number (with the
    /// record of its last append that changed it), every packet inserted, one NOTIFY per fixture.
    private static func groupStatement(_ appends: [PendingAppend]) -> PostgresQuery {
        // Per fixture, in the group's order: the last number, and the last record that changed.
        var order: [UUID] = []
        var moves: [UUID: (last: Int, fixture: Fixture, body: ByteBuffer?)] = [:]
        for append in appends {
            let id = append.fixture.id
            if moves[id] == nil { order.append(id) }
            let body = append.body ?? moves[id]?.body
            let fixture = append.body != nil ? append.fixture : (moves[id]?.fixture ?? append.fixture)
            moves[id] = (append.packets[append.packets.count - 1].seqNum, fixture, body)
        }
        let packetCount = appends.reduce(0) { $0 + $1.packets.count }
        var binds = PostgresBindings(capacity: order.count * 6 + packetCount * 13 + 2)
        var values: [String] = []
        for id in order {
            guard let move = moves[id] else { continue }
            let base = binds.count
            binds.append(id)
            binds.append(move.last)
            if let body = move.body {
                binds.append(move.fixture.status.rawValue)
                binds.append(move.fixture.name)
                binds.append(move.fixture.startDate.dateTimeText)
                binds.append(body)
            } else {
                for _ in 0..<4 { binds.appendNull() }
            }
            values.append(
                "($\(base + 1)::uuid, $\(base + 2)::bigint, $\(base + 3)::integer, $\(base + 4)::text, "
                    + "$\(base + 5)::text, $\(base + 6)::bytea)")
        }
        let packets = appends.flatMap(\.packets)[...]
        let rows = packetRows(packets, binds: &binds)
        let counted = statisticsRows(packets, binds: &binds).map {
            "counted AS (INSERT INTO statistics (\(statisticsColumns)) VALUES \($0) RETURNING 1),"
        }
        binds.append(channel)
        binds.append(order.map(\.wire))
        return PostgresQuery(
            unsafeSQL: """
                WITH moved AS (
                    UPDATE fixtures SET last_seq = v.last, status = COALESCE(v.status, fixtures.status),
                        name = COALESCE(v.name, fixtures.name), start_date = COALESCE(v.start_date, fixtures.start_date),
                        body = COALESCE(v.body, fixtures.body)
                    FROM (VALUES \(values.joined(separator: ", "))) AS v (id, last, status, name, start_date, body)
                    WHERE fixtures.id = v.id RETURNING 1),
                stored AS (INSERT INTO packets (\(packetColumns)) VALUES \(rows) RETURNING 1),
                \(counted ?? "")
                woken AS (SELECT pg_notify($\(binds.count - 1), f) FROM unnest($\(binds.count)::text[]) AS f)
                SELECT (SELECT count(*) FROM moved) + 0 * (SELECT count(*) FROM stored) + 0 * (SELECT count(*) FROM woken)
                """, binds: binds)
    }

    /// An append of more packets than one statement takes, alone in its transaction: the row moved on and locked
    /// first, then the packets in statements of ``rowsPerInsert``, then the NOTIFY.
    private func appendLarge(_ append: PendingAppend) async throws {
        let (packets, fixture) = (append.packets, append.fixture)
        let started = ContinuousClock.now
        try await transaction { connection in
            // Locks the fixture's row to the commit: the next append of this fixture, on any node, waits here
            // and then finds the new last number.
            let moved = try await connection.query(
                Self.moveStatement(
                    fixture: fixture, body: append.body, first: packets[0].seqNum,
                    last: packets[packets.count - 1].seqNum),
                logger: self.logger)
            if try await moved.collect().isEmpty {
                throw try await self.refusal(fixtureId: fixture.id, on: connection, first: packets[0].seqNum)
            }
            for start in stride(from: 0, to: packets.count, by: Self.rowsPerInsert) {
                try await connection.query(
                    Self.insertStatement(packets[start..<min(start + Self.rowsPerInsert, packets.count)]),
                    logger: self.logger)
            }
            // Read to the end, as every statement that returns rows: its error comes with them.
            _ = try await connection.query(
                "SELECT pg_notify(\(Self.channel), \(fixture.id.wire))", logger: self.logger
            ).collect()
        }
        self.metrics.committed(1, in: ContinuousClock.now - started)
    }

    /// `UPDATE fixtures ... RETURNING id`: the fixture's last number moved from the one before the packets to
    /// their last, when the record is still the one they were made under, with the new record when it changed.
    private static func moveStatement(fixture: Fixture, body: ByteBuffer?, first: Int, last: Int) -> PostgresQuery {
        var binds = PostgresBindings()
        let sql = moveSQL(fixture: fixture, body: body, first: first, last: last, binds: &binds)
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    private static func moveSQL(
        fixture: Fixture, body: ByteBuffer?, first: Int, last: Int, binds: inout PostgresBindings
    ) -> String {
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var set = "last_seq = \(bind(last))"
        if let body {
            set += ", status = \(bind(fixture.status.rawValue)), name = \(bind(fixture.name))"
            set += ", start_date = \(bind(fixture.startDate.dateTimeText)), body = \(bind(body))"
        }
        return """
            UPDATE fixtures SET \(set)
            WHERE id = \(bind(fixture.id)) AND last_seq = \(bind(first - 1)) AND update_count = \(bind(fixture.updateCount))
            RETURNING id
            """
    }

    /// `(fixture_id, seq, ...)` rows of packets as bound values, in the order of `packetColumns`.
    private static func packetRows(_ packets: ArraySlice<StoredPacket>, binds: inout PostgresBindings) -> String {
        var rows: [String] = []
        rows.reserveCapacity(packets.count)
        for packet in packets {
            let base = binds.count
            binds.append(packet.fixtureId)
            binds.append(packet.seqNum)
            binds.append(packet.period)
            binds.append(packet.actionId)
            binds.append(packet.sendType.rawValue)
            binds.append(packet.traceId)
            binds.append(Int(packet.receivedAt.microseconds))
            binds.append(ByteBuffer(bytes: packet.submission))
            binds.append(ByteBuffer(bytes: packet.bytes))
            rows.append("(" + (1...9).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
        }
        return rows.joined(separator: ", ")
    }

    private static let packetColumns =
        "fixture_id, seq, period, action_id, send_type, trace_id, received_at, submission, body"

    private static let statisticsColumns = "fixture_id, seq, fixture_seq, body"

    /// `(fixture_id, seq, fixture_seq, body)` rows of the statistics packets these packets made, as bound values;
    /// nil when they made none.
    private static func statisticsRows(_ packets: ArraySlice<StoredPacket>, binds: inout PostgresBindings) -> String? {
        statisticsRows(packets.madeStatistics, binds: &binds)
    }

    /// `(fixture_id, seq, fixture_seq, body)` rows of statistics packets of fixtures, as bound values; nil for none.
    private static func statisticsRows(
        _ statistics: some Collection<(fixtureId: UUID, statistics: StoredStatistics)>, binds: inout PostgresBindings
    ) -> String? {
        guard !statistics.isEmpty else { return nil }
        return statistics.map { fixtureId, statistics in
            let base = binds.count
            binds.append(fixtureId)
            binds.append(statistics.seqNum)
            binds.append(statistics.fixtureSeqNum)
            binds.append(ByteBuffer(bytes: statistics.bytes))
            return "($\(base + 1)::uuid, $\(base + 2)::bigint, $\(base + 3)::bigint, $\(base + 4)::bytea)"
        }.joined(separator: ", ")
    }

    /// The packets and the statistics packets they made, in one statement.
    private static func insertStatement(_ packets: ArraySlice<StoredPacket>) -> PostgresQuery {
        var binds = PostgresBindings(capacity: packets.count * 13)
        let rows = packetRows(packets, binds: &binds)
        guard let statistics = statisticsRows(packets, binds: &binds) else {
            return PostgresQuery(unsafeSQL: "INSERT INTO packets (\(packetColumns)) VALUES \(rows)", binds: binds)
        }
        return PostgresQuery(
            unsafeSQL: """
                WITH counted AS (INSERT INTO statistics (\(statisticsColumns)) VALUES \(statistics) RETURNING 1)
                INSERT INTO packets (\(packetColumns)) VALUES \(rows)
                """, binds: binds)
    }

    /// The whole append in one statement: the fixture's row moved on (and locked), the packets inserted only if
    /// it was, a NOTIFY only if it was. Answers how many rows moved: 0 or 1.
    private static func appendStatement(_ packets: ArraySlice<StoredPacket>, fixture: Fixture, body: ByteBuffer?)
        -> PostgresQuery
    {
        guard let first = packets.first, let last = packets.last else { return "SELECT 0" }
        var binds = PostgresBindings(capacity: packets.count * 13 + 12)
        let move = moveSQL(fixture: fixture, body: body, first: first.seqNum, last: last.seqNum, binds: &binds)
        let rows = packetRows(packets, binds: &binds)
        let counted = statisticsRows(packets, binds: &binds).map {
            """
            counted AS (
                INSERT INTO statistics (\(statisticsColumns))
                SELECT rows.* FROM moved, (VALUES \($0)) AS rows (\(statisticsColumns)) RETURNING 1),
            """
        }
        binds.append(channel)
        binds.append(fixture.id.wire)
        let notify = "pg_notify($\(binds.count - 1), $\(binds.count))"
        return PostgresQuery(
            unsafeSQL: """
                WITH moved AS (\(move)),
                stored AS (
                    INSERT INTO packets (\(packetColumns))
                    SELECT rows.* FROM moved, (VALUES \(rows)) AS rows (\(packetColumns)) RETURNING 1),
                \(counted ?? "")
                woken AS (SELECT \(notify) FROM moved)
                SELECT (SELECT count(*) FROM moved) + 0 * (SELECT count(*) FROM stored) + 0 * (SELECT count(*) FROM woken)
                """, binds: binds)
    }

    /// Why a conditional change of a fixture's row changed nothing, read in the same transaction.
    private func refusal(fixtureId: UUID, on connection: PostgresConnection, first: Int?) async throws -> StoreError {
        for try await (last, _) in try await connection.query(
            "SELECT last_seq, update_count FROM fixtures WHERE id = \(fixtureId)", logger: logger
        ).decode((Int, Int).self) {
            if let first, last != first - 1 {
                return .sequenceConflict(fixtureId: fixtureId, expected: last + 1, got: first)
            }
            return .fixtureChanged(fixtureId)
        }
        return .unknownFixture(fixtureId)
    }

    public func packets(fixtureId: UUID, after seqNum: Int, limit: Int) async throws -> [StoredPacket] {
        try await bounded("reading actions") {
            var packets: [StoredPacket] = []
            for try await row in try await self.client.query(
                """
                SELECT p.seq, p.period, p.action_id, p.send_type, p.trace_id, p.received_at, p.submission, p.body,
                    s.seq, s.body
                FROM packets p LEFT JOIN statistics s ON s.fixture_id = p.fixture_id AND s.fixture_seq = p.seq
                WHERE p.fixture_id = \(fixtureId) AND p.seq > \(seqNum) ORDER BY p.seq LIMIT \(limit)
                """, logger: self.logger)
            {
                // A row that cannot be read is an error, never skipped: a stream would pass over its number.
                let what = "packet after \(packets.last?.seqNum ?? seqNum) of fixture \(fixtureId.wire)"
                let (seq, period, actionId, sendType, traceId, received, submission, body, statisticsSeq, statistics) =
                    try Self.decoding(what) {
                        try row.decode(
                            (Int, Int, UUID, Int, String, Int, ByteBuffer, ByteBuffer, Int?, ByteBuffer?).self)
                    }
                guard let type = SendType(rawValue: sendType), (statisticsSeq == nil) == (statistics == nil) else {
                    throw StoreError.corruptRow(what)
                }
                var made: StoredStatistics?
                if let statisticsSeq, let statistics {
                    made = StoredStatistics(
                        seqNum: statisticsSeq, fixtureSeqNum: seq, receivedAt: Timestamp(microseconds: Int64(received)),
                        bytes: Array(statistics.readableBytesView))
                }
                packets.append(
                    StoredPacket(
                        fixtureId: fixtureId, seqNum: seq, period: period, actionId: actionId, sendType: type,
                        traceId: traceId, receivedAt: Timestamp(microseconds: Int64(received)),
                        submission: Array(submission.readableBytesView), bytes: Array(body.readableBytesView),
                        statistics: made))
            }
            return packets
        }
    }

    public func packetBytes(fixtureId: UUID, order: PacketOrder) async throws -> [[UInt8]] {
        let orderBy = order == .seqNum ? "seq" : "period, seq"
        return try await bounded("reading actions") {
            var bodies: [[UInt8]] = []
            for try await row in try await self.client.query(
                PostgresQuery(
                    unsafeSQL: "SELECT body FROM packets WHERE fixture_id = $1 ORDER BY \(orderBy)",
                    binds: {
                        var binds = PostgresBindings(); binds.append(fixtureId); return binds
                    }()),
                logger: self.logger)
            {
                let body = try Self.decoding("packet body of fixture \(fixtureId.wire)") {
                    try row.decode(ByteBuffer.self)
                }
                bodies.append(Array(body.readableBytesView))
            }
            return bodies
        }
    }

    public func lastSeqNum(fixtureId: UUID) async throws -> Int {
        try await bounded("reading a fixture") {
            var last = 0
            for try await seq in try await self.client.query(
                "SELECT last_seq FROM fixtures WHERE id = \(fixtureId)", logger: self.logger
            ).decode(Int.self) {
                last = seq
            }
            return last
        }
    }

    // MARK: Statistics

    public func statistics(fixtureId: UUID, after seqNum: Int, limit: Int) async throws -> [StoredStatistics] {
        try await bounded("reading statistics") {
            try await self.statistics(
                in: try await self.client.query(
                    """
                    SELECT s.seq, s.fixture_seq, s.body, p.received_at
                    FROM statistics s LEFT JOIN packets p ON p.fixture_id = s.fixture_id AND p.seq = s.fixture_seq
                    WHERE s.fixture_id = \(fixtureId) AND s.seq > \(seqNum) ORDER BY s.seq LIMIT \(limit)
                    """, logger: self.logger),
                of: fixtureId)
        }
    }

    public func latestStatistics(fixtureId: UUID) async throws -> StoredStatistics? {
        try await bounded("reading statistics") {
            try await self.statistics(
                in: try await self.client.query(
                    """
                    SELECT s.seq, s.fixture_seq, s.body, p.received_at
                    FROM statistics s LEFT JOIN packets p ON p.fixture_id = s.fixture_id AND p.seq = s.fixture_seq
                    WHERE s.fixture_id = \(fixtureId) ORDER BY s.seq DESC LIMIT 1
                    """, logger: self.logger),
                of: fixtureId
            ).first
        }
    }

    public func insertMissingStatistics(_ statistics: [StoredStatistics], fixtureId: UUID) async throws {
        guard !statistics.isEmpty else { return }
        try await bounded("storing statistics", extra: .milliseconds(statistics.count)) {
            for start in stride(from: 0, to: statistics.count, by: Self.rowsPerInsert) {
                var binds = PostgresBindings()
                let chunk = statistics[start..<min(start + Self.rowsPerInsert, statistics.count)].map {
                    (fixtureId, $0)
                }
                guard let rows = Self.statisticsRows(chunk, binds: &binds) else { continue }
                try await self.client.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO statistics (\(Self.statisticsColumns)) VALUES \(rows) ON CONFLICT DO NOTHING
                            """, binds: binds), logger: self.logger)
            }
        }
    }

    private func statistics(in rows: PostgresRowSequence, of fixtureId: UUID) async throws -> [StoredStatistics] {
        var statistics: [StoredStatistics] = []
        for try await row in rows {
            // The receipt time is the action packet's: a statistics row without its packet is a corrupt row.
            let (seq, fixtureSeq, body, received) = try Self.decoding(
                "statistics after \(statistics.last?.seqNum ?? 0) of fixture \(fixtureId.wire)"
            ) { try row.decode((Int, Int, ByteBuffer, Int).self) }
            statistics.append(
                StoredStatistics(
                    seqNum: seq, fixtureSeqNum: fixtureSeq, receivedAt: Timestamp(microseconds: Int64(received)),
                    bytes: Array(body.readableBytesView)))
        }
        return statistics
    }

    // MARK: Tokens

    public func insertToken(_ token: TokenRecord) async throws {
        let columns = TokenColumns(token)
        try await bounded("storing a token") {
            let inserted = try await self.client.query(
                """
                INSERT INTO tokens (name, hash, role, feeds, sports, created_at, revoked)
                VALUES (\(token.name), \(token.hash), \(token.role.rawValue), \(columns.feeds ?? ""),
                    \(columns.sports ?? ""), \(columns.createdAt ?? ""), \(token.revoked))
                ON CONFLICT DO NOTHING RETURNING name
                """, logger: self.logger
            ).collect()
            guard !inserted.isEmpty else { throw StoreError.duplicate("token \(token.name)") }
        }
    }

    public func token(hash: String) async throws -> TokenRecord? {
        try await bounded("reading a token") {
            try await self.tokens(
                in: try await self.client.query(
                    "SELECT name, hash, role, feeds, sports, created_at, revoked FROM tokens WHERE hash = \(hash)",
                    logger: self.logger)
            ).first
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await bounded("reading tokens") {
            try await self.tokens(
                in: try await self.client.query(
                    """
                    SELECT name, hash, role, feeds, sports, created_at, revoked FROM tokens
                    ORDER BY created_at COLLATE "C", name COLLATE "C"
                    """, logger: self.logger))
        }
    }

    private func tokens(in rows: PostgresRowSequence) async throws -> [TokenRecord] {
        var tokens: [TokenRecord] = []
        for try await row in rows {
            let (name, hash, role, feeds, sports, created, revoked) = try Self.decoding("token") {
                try row.decode((String?, String?, String?, String?, String?, String?, Bool?).self)
            }
            tokens.append(
                try TokenColumns(
                    name: name, hash: hash, role: role, feeds: feeds, sports: sports, createdAt: created,
                    revoked: revoked
                ).record())
        }
        return tokens
    }

    public func revokeToken(name: String) async throws -> Bool {
        try await bounded("revoking a token") {
            !(try await self.client.query(
                "UPDATE tokens SET revoked = true WHERE name = \(name) RETURNING name", logger: self.logger
            ).collect()).isEmpty
        }
    }

    // MARK: Bounds and errors

    /// Runs a transaction on one pooled connection: BEGIN, `body`, COMMIT; ROLLBACK when `body` throws, whose
    /// error is thrown as it is.
    private func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: self.logger)
            let result: T
            do {
                result = try await body(connection)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                throw error
            }
            try await connection.query("COMMIT", logger: self.logger)
            return result
        }
    }

    /// Runs one store operation within `operationTimeout`, after the schema is up to date. Its errors leave as
    /// `StoreError`: the store's own refusals as they are, anything from the driver as `unavailable`, logged with
    /// its detail. On a timeout the operation is cancelled and left to end by itself: its outcome is unknown,
    /// which callers treat as they treat any failed write (an ingest is retried by the scout, and is idempotent).
    private func bounded<T: Sendable>(
        _ what: String, afterMigration: Bool = true, extra: Duration = .zero,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let limit = operationTimeout + extra
        do {
            return try await Deadline.run(within: limit) {
                if afterMigration { try await self.schema.wait() }
                return try await body()
            }
        } catch {
            if let passing = StoreError.passingThrough(error) { throw passing }
            if error is DeadlineExceeded {
                logger.warning("postgres: \(what): no answer within \(limit)")
                throw StoreError.unavailable(
                    "The database did not answer within \(limit.components.seconds) seconds (\(what)).")
            }
            logger.warning("postgres: \(what) failed: \(String(reflecting: error))")
            throw StoreError.unavailable("The database could not be reached (\(what)).")
        }
    }

    /// Decodes a row, or throws `corruptRow` naming it.
    private static func decoding<T>(_ what: String, _ decode: () throws -> T) throws -> T {
        do {
            return try decode()
        } catch {
            throw StoreError.corruptRow(what)
        }
    }
}
