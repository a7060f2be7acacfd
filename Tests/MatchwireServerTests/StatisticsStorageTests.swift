import Foundation
import MatchwireCore
import MatchwireStore
import Testing

@testable import MatchwireServer

/// The statistics packets an ingest makes are stored with its packets; a fixture whose packets were stored
/// before statistics were kept gets them when its writer first rebuilds its engine.
@Suite struct StatisticsStorageTests {
    @Test func anIngestStoresItsStatisticsAndARebuiltWriterAddsTheMissingOnes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("matchwire-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try await SQLiteEventStore.open(path: directory.appendingPathComponent("s.sqlite").path)
        let fixture = TestServer.tableTennisFixture()
        try await store.insertFixture(fixture)
        func submission(_ type: Int, home: Bool? = nil) throws -> ActionSubmission {
            var object: [String: JSONValue] = ["actionId": .string(UUID().wire), "fixtureActionTypeId": .number(type)]
            if let home { object["team"] = ["id": .string((home ? fixture.home : fixture.away).id.wire)] }
            return try ActionSubmission(json: .object(object))
        }
        // Stored as an older Matchwire stored them: three packets, the third a home point, and no statistics.
        var engine = try FixtureEngine(fixture: fixture)
        var old: [StoredPacket] = []
        for action in [try submission(4), try submission(6), try submission(1102, home: true)] {
            guard case .stored(let packet) = try engine.ingest(action, receivedAt: .now, traceId: "0") else {
                Issue.record("refused")
                return
            }
            old.append(
                StoredPacket(
                    fixtureId: fixture.id, seqNum: packet.action.fixtureSeqNum, period: packet.action.period,
                    actionId: action.actionId, sendType: action.sendType, traceId: "0", receivedAt: .now,
                    submission: action.json.jsonBytes, bytes: packet.jsonBytes))
        }
        try await store.append(old, fixture: fixture.following(engine), recordChanged: true)
        #expect(try await store.latestStatistics(fixtureId: fixture.id) == nil)

        let writers = FixtureWriters(store: store, hub: StreamHub(logger: .init(label: "test")))
        try await writers.ingest([try submission(1102, home: false)], fixtureId: fixture.id, receivedAt: .now)
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
}
