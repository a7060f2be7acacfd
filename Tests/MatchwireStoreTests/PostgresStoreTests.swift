import Foundation
import Logging
import MatchwireCore
import MatchwireStore
import PostgresTestCluster
import Testing

/// What only the PostgreSQL store has: a schema several nodes migrate together, a database that is newer than the
/// program, a database that cannot be reached. (Everything else is in the contract suite, on both stores.)
@Suite(.enabled(if: PostgresTestCluster.isInstalled)) struct PostgresStoreTests {
    static func quietLogger() -> Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    @Test func nodesStartingTogetherMigrateOnceAndAllWork() async throws {
        let cluster = try #require(try await PostgresTestCluster.shared())
        let url = try await cluster.newDatabase()
        let database = PostgresTestCluster.databaseName(in: url)
        // Six stores migrate at once while the rest of the suite runs beside them on two cores: the test is about
        // the schema's version row, not the answer time (another test bounds that), so the timeout is generous.
        let stores = try (0..<6).map { _ in
            try PostgresEventStore(url: url, operationTimeout: .seconds(60), logger: Self.quietLogger())
        }
        let fixture = Fixture(
            id: UUID(), sport: .soccer, startDate: Timestamp(localDateTime: "2025-05-20T18:00:00")!,
            teams: [TeamRef(id: UUID(), name: "A", homeTeam: true), TeamRef(id: UUID(), name: "B", homeTeam: false)],
            rules: SoccerRules().rulesObject)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    try await store.whileRunning { store in
                        if index == 0 { try await store.insertFixture(fixture) }
                        _ = try await store.fixtures(FixtureQuery(sport: .soccer))
                    }
                }
            }
            try await group.waitForAll()
        }
        let versions = try await cluster.query("SELECT version FROM matchwire_schema", database: database)
        #expect(
            versions.split(separator: "\n").filter { !$0.isEmpty } == ["\(PostgresEventStore.schemaVersion)"],
            "one row, the current version")
    }

    @Test func aDatabaseOfANewerSchemaIsRefusedWithASentence() async throws {
        let cluster = try #require(try await PostgresTestCluster.shared())
        let url = try await cluster.newDatabase()
        let database = PostgresTestCluster.databaseName(in: url)
        // A generous limit: migrating a new database has taken over 5 seconds on a CI machine busy with other suites.
        try await PostgresEventStore(url: url, operationTimeout: .seconds(60), logger: Self.quietLogger())
            .whileRunning { _ in }
        _ = try await cluster.query("UPDATE matchwire_schema SET version = 99", database: database)
        let newer = try PostgresEventStore(url: url, operationTimeout: .seconds(60), logger: Self.quietLogger())
        await #expect(throws: StoreError.newerSchema(version: 99, known: PostgresEventStore.schemaVersion)) {
            try await newer.whileRunning { _ in }
        }
        #expect(
            StoreError.newerSchema(version: 99, known: 1).description
                == "The database has schema version 99; this Matchwire knows versions up to 1. Use a newer Matchwire.")
    }

    @Test func anUnreachableDatabaseFailsWithinTheTimeoutWithASentence() async throws {
        // A port nothing listens on: connections are refused, again and again.
        let store = try PostgresEventStore(
            url: "postgres://matchwire:secret@127.0.0.1:1/matchwire?sslmode=disable", operationTimeout: .seconds(1),
            logger: Self.quietLogger())
        #expect(store.description == "postgres 127.0.0.1:1/matchwire", "never the password")
        let running = Task { try await store.run() }
        defer { running.cancel() }
        let started = ContinuousClock.now
        do {
            _ = try await store.fixture(id: UUID())
            Issue.record("a read of an unreachable database succeeded")
        } catch let error as StoreError {
            guard case .unavailable(let sentence) = error else { throw error }
            #expect(sentence == "The database did not answer within 1 seconds (reading a fixture).")
        }
        // Bounded: a generous wall-clock bound, as a loaded machine may run the clock task late, never early.
        #expect(ContinuousClock.now - started < .seconds(30), "bounded by the operation timeout")
    }

    @Test func aURLThatCannotBeUsedIsRefusedWithASentenceWithoutItsPassword() {
        for (url, sentence) in [
            ("mysql://u:secret@h/db", "The PostgreSQL URL must look like postgres://user:password@host:5432/database."),
            ("postgres://u:secret@h", "The PostgreSQL URL names no database: postgres://u@h/database."),
            ("postgres://u:secret@h/db?sslmode=maybe", "sslmode must be disable, prefer or require, not maybe."),
        ] {
            #expect(throws: PostgresLocationError.self) {
                _ = try PostgresEventStore(url: url, logger: Self.quietLogger())
            }
            do {
                _ = try PostgresEventStore(url: url, logger: Self.quietLogger())
            } catch {
                #expect("\(error)" == sentence)
                #expect(!"\(error)".contains("secret"))
            }
        }
    }
}
