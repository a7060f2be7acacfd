import Foundation
import HTTPTypes
import HummingbirdTesting
import MatchwireCore
import MatchwireServer
import MatchwireStore
import NIOCore
import Testing

/// `GET /{S}/fixtures/{id}/statistics` over a real socket (protocol.md §5): the latest statistics packet, with
/// the checks of the actions list.
@Suite struct StatisticsRESTTests {
    func statisticsPath(_ server: TestServer) -> String {
        "/v2/tabletennis/fixtures/\(server.fixture.id.wire)/statistics"
    }

    @Test func beforeAnyCountingActionThePacketHasSeqNumZeroAndBothTeamsEmpty() async throws {
        try await TestServer.start { server, client in
            let response = try await client.execute(
                uri: statisticsPath(server), method: .get, headers: server.consumerHeaders())
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/vnd.imggaming.dde.api+json;version=1")
            #expect(response.headers[.eTag] == #""statistics-0-0""#, "before the first: the fixture's update count")
            #expect(response.json["seqNum"]?.intValue == 0)
            #expect(response.json["fixtureSeqNum"]?.intValue == 0)
            #expect(response.json["fixtureId"]?.stringValue == server.fixture.id.wire)
            let teams = response.json["teamActionAggregates"]?.arrayValue ?? []
            #expect(
                teams.map { $0["team"]?["id"]?.stringValue } == [
                    server.fixture.home.id.wire, server.fixture.away.id.wire,
                ])
            #expect(teams.allSatisfy { $0["gameActionAggregates"]?.arrayValue == [] })
        }
    }

    @Test func theLatestPacketCountsThePointsAndItsETagAnswers304UntilTheTotalsChange() async throws {
        try await TestServer.start { server, client in
            let posted = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array([
                    server.action(4), server.action(6), server.action(1102, home: true),
                    server.action(1102, home: true),
                    server.action(1102, home: false),
                ]).buffer)
            #expect(posted.status == .created)
            let latest = try await client.execute(
                uri: statisticsPath(server), method: .get, headers: server.consumerHeaders())
            #expect(latest.status == .ok)
            #expect(latest.json["seqNum"]?.intValue == 3, "one per point")
            #expect(latest.json["fixtureSeqNum"]?.intValue == 5)
            let teams = latest.json["teamActionAggregates"]?.arrayValue ?? []
            #expect(
                teams.map { $0["gameActionAggregates"]?.arrayValue?.first?["actionAggregate"]?.intValue } == [2, 1])
            #expect(teams.first?["gameActionAggregates"]?.arrayValue?.first?["action"]?.stringValue == "Point Scored")
            let etag = try #require(latest.headers[.eTag])
            #expect(etag == #""statistics-3""#)
            var conditional = server.consumerHeaders()
            conditional[.ifNoneMatch] = etag
            #expect(
                try await client.execute(uri: statisticsPath(server), method: .get, headers: conditional).status
                    == .notModified)
            // A packet that changes no total (End Period) makes no statistics packet: still 304.
            _ = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array([server.action(9)]).buffer)
            #expect(
                try await client.execute(uri: statisticsPath(server), method: .get, headers: conditional).status
                    == .notModified)
            _ = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array([server.action(1102, home: false)]).buffer)
            #expect(
                try await client.execute(uri: statisticsPath(server), method: .get, headers: conditional).status == .ok)
        }
    }

    @Test func theChecksOfTheActionsListApplyInTheirOrder() async throws {
        try await TestServer.start { server, client in
            let noAccept = try await client.execute(
                uri: statisticsPath(server), method: .get, headers: server.bearer(server.consumer))
            #expect(noAccept.status == .badRequest)
            let noToken = try await client.execute(
                uri: statisticsPath(server), method: .get, headers: [.accept: "application/json"])
            #expect(noToken.status == .unauthorized)
            let issued = AccessControlTestSupport.token(name: "soccer-only", role: .consumer, sports: [])
            try await server.store.insertToken(issued.record)
            let notEntitled = try await client.execute(
                uri: statisticsPath(server), method: .get, headers: server.consumerHeaders(issued.token))
            #expect(notEntitled.status == .forbidden)
            for path in [
                "/v2/tabletennis/fixtures/\(UUID().wire)/statistics",
                "/soccer/fixtures/\(server.fixture.id.wire)/statistics",
                "/v2/tabletennis/fixtures/not-a-uuid/statistics",
            ] {
                let response = try await client.execute(uri: path, method: .get, headers: server.consumerHeaders())
                #expect(response.status == .notFound, "\(path)")
                #expect(!response.errorMessage.isEmpty)
            }
            // The media statistics are a stream only: a plain GET is told to upgrade.
            let media = try await client.execute(
                uri: "/media" + statisticsPath(server), method: .get, headers: server.consumerHeaders())
            #expect(media.status == .upgradeRequired)
            #expect(media.headers[.upgrade] == "websocket")
        }
    }
}
