import Foundation
import MatchwireCore
import MatchwireStore
import Testing

@testable import MatchwireServer

/// The statistics packets an ingest makes are stored with its packets; a fixture whose packets were stored
/// before statistics were kept gets them when its writer first rebuilds its engine.
@Suite struct StatisticsStorageTests {
    /// A store holding a table tennis fixture as an older Matchwire stored it: three packets, the third a home
    /// point, and no statistics.
    static func storeWithoutStatistics() async throws -> (SQLiteEventStore, Fixture) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("matchwire-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try await SQLiteEventStore.open(path: directory.appendingPathComponent("s.sqlite").path)
        let fixture = TestServer.tableTennisFixture()
        try await store.insertFixture(fixture)
        var engine = try FixtureEngine(fixture: fixture)
        var old: [StoredPacket] = []
        for action in [
            try submission(4, fixture), try submission(6, fixture), try submission(1102, fixture, home: true),
        ] {
            guard case .stored(let packet) = try engine.ingest(action, receivedAt: .now, traceId: "0") else {
                throw RuleViolation("refused")
            }
            old.append(
                StoredPacket(
                    fixtureId: fixture.id, seqNum: packet.action.fixtureSeqNum, period: packet.action.period,
                    actionId: action.actionId, sendType: action.sendType, traceId: "0", receivedAt: .now,
                    submission: action.json.jsonBytes, bytes: packet.jsonBytes))
        }
        try await store.append(old, fixture: fixture.following(engine), recordChanged: true)
        return (store, fixture.following(engine))
    }

    static func submission(_ type: Int, _ fixture: Fixture, home: Bool? = nil) throws -> ActionSubmission {
        var object: [String: JSONValue] = ["actionId": .string(UUID().wire), "fixtureActionTypeId": .number(type)]
        if let home { object["team"] = ["id": .string((home ? fixture.home : fixture.away).id.wire)] }
        return try ActionSubmission(json: .object(object))
    }

    @Test func anIngestStoresItsStatisticsAndARebuiltWriterAddsTheMissingOnes() async throws {
        let (store, fixture) = try await Self.storeWithoutStatistics()
        #expect(try await store.latestStatistics(fixtureId: fixture.id) == nil)

        let writers = FixtureWriters(store: store, hub: StreamHub(logger: .init(label: "test")))
        try await writers.ingest(
            [try Self.submission(1102, fixture, home: false)], fixtureId: fixture.id, receivedAt: .now)
        let statistics = try await store.statistics(fixtureId: fixture.id, after: 0, limit: 10)
        #expect(statistics.map(\.seqNum) == [1, 2], "the old point's statistics added, the new one's stored")
        #expect(statistics.map(\.fixtureSeqNum) == [3, 4])
        let last = try JSONValue.parse(try #require(statistics.last).bytes)
        let teams = try #require(last["teamActionAggregates"]?.arrayValue)
        #expect(teams.map { $0["gameActionAggregates"]?.arrayValue?.first?["actionAggregate"]?.intValue } == [1, 1])
        // The packet read back carries the statistics packet it made.
        #expect(try await store.packets(fixtureId: fixture.id, after: 3, limit: 1).first?.statistics == statistics.last)
        try await store.close()
    }

    /// A read or an export of a fixture nobody writes any more: a throwaway replay stores its statistics, once.
    @Test func aBackfillStoresTheMissingStatisticsOnceWithoutAWriter() async throws {
        let (store, fixture) = try await Self.storeWithoutStatistics()
        try await store.backfillStatistics(of: fixture)
        let statistics = try await store.statistics(fixtureId: fixture.id, after: 0, limit: 10)
        #expect(statistics.map(\.seqNum) == [1])
        #expect(statistics.map(\.fixtureSeqNum) == [3])
        try await store.backfillStatistics(of: fixture)
        #expect(try await store.statistics(fixtureId: fixture.id, after: 0, limit: 10) == statistics)
        try await store.close()
    }
}
