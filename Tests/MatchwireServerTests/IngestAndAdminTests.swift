import Foundation
import HTTPTypes
import HummingbirdTesting
import MatchwireCore
import MatchwireServer
import MatchwireStore
import NIOCore
import Testing

/// Ingestion (operations.md §3) and fixture administration (§2) over a real socket.
@Suite struct IngestAndAdminTests {
    @Test func singleActionIs201WithTheStoredPacketAndIdenticalRetryIs200() async throws {
        try await TestServer.start { server, client in
            let start = server.action(4)
            let first = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout), body: start.buffer)
            #expect(first.status == .created)
            #expect(first.json["fixtureAction"]?["fixtureSeqNum"]?.intValue == 1)
            #expect(first.json["fixtureSummary"]?["currentStatus"] == .string("Live"))
            let retry = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout), body: start.buffer)
            #expect(retry.status == .ok)
            #expect(Array(retry.body.readableBytesView) == Array(first.body.readableBytesView))
            #expect(try await server.store.lastSeqNum(fixtureId: server.fixture.id) == 1)
        }
    }

    @Test func arrayIsAllOrNothingAndNamesTheFailingAction() async throws {
        try await TestServer.start { server, client in
            let body = JSONValue.array([server.action(4), server.action(6), server.action(1102)])
            let refused = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout), body: body.buffer)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.errorMessage.hasPrefix("Action 2 of the array: Point Scored needs a team"))
            #expect(try await server.store.lastSeqNum(fixtureId: server.fixture.id) == 0, "nothing was stored")
            let fixed = JSONValue.array([server.action(4), server.action(6), server.action(1102, home: false)])
            let accepted = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout), body: fixed.buffer)
            #expect(accepted.status == .created)
            #expect(accepted.json.arrayValue?.count == 3)
        }
    }

    @Test func everyRuleBrokenIs422WithASentence() async throws {
        try await TestServer.start { server, client in
            let pointId = UUID()
            _ = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array([
                    server.action(4), server.action(6), server.action(1102, home: true, id: pointId),
                ]).buffer)
            let cases: [(JSONValue, String)] = [
                (server.action(999), "fixtureActionTypeId 999 is not an action of tabletennis"),
                (.object(["actionId": .string("nope"), "fixtureActionTypeId": .number(4)]), "actionId must be a UUID"),
                (
                    .object([
                        "actionId": .string(UUID().uuidString), "fixtureActionTypeId": .number(1104),
                        "timestamp": .string("yesterday"),
                    ]),
                    "timestamp must be an ISO 8601"
                ),
                (
                    .object([
                        "actionId": .string(UUID().uuidString), "fixtureActionTypeId": .number(1102),
                        "team": .object(["id": .string(UUID().uuidString)]),
                    ]), "not a team of this fixture"
                ),
                (server.action(1102, home: true, sendType: .updated), "which is unknown"),
                (server.action(1102, home: true, id: pointId, sendType: .cancelled), "Cancelled is refused"),
                (
                    .object([
                        "actionId": .string(UUID().uuidString), "fixtureActionTypeId": .number(1104),
                        "colour": .string("red"),
                    ]),
                    "Unknown field 'colour'"
                ),
                (
                    .object([
                        "actionId": .string(UUID().uuidString), "fixtureActionTypeId": .number(1104),
                        "fixtureActionType": .string("Point Scored"),
                    ]),
                    "fixtureActionTypeId 1104 is Let, but fixtureActionType says 'Point Scored'"
                ),
                (
                    .object([
                        "actionId": .string(UUID().uuidString), "fixtureActionTypeId": .number(1104),
                        "fixtureActionType": .number(1104),
                    ]),
                    "fixtureActionType must be a string."
                ),
                (
                    .object([
                        "actionId": .string(UUID().uuidString), "fixtureActionTypeId": .number(1104),
                        "sendTypeId": .number(5), "sendType": .string("Pending"),
                    ]),
                    "sendTypeId 5 (Confirmed) and sendType 'Pending' contradict each other"
                ),
                (
                    .object([
                        "actionId": .string(UUID().uuidString), "fixtureActionTypeId": .number(1104),
                        "sendTypeId": .number(5), "sendType": .bool(true),
                    ]),
                    "sendType must be one of Pending"
                ),
            ]
            for (body, expected) in cases {
                let response = try await client.execute(
                    uri: server.ingestPath, method: .post, headers: server.bearer(server.scout), body: body.buffer)
                #expect(response.status == .unprocessableContent, "\(expected)")
                #expect(response.errorMessage.contains(expected), "\(response.errorMessage)")
            }
            #expect(try await server.store.lastSeqNum(fixtureId: server.fixture.id) == 3)
        }
    }

    @Test func actionAfterTheFixtureFinishedIs422() async throws {
        try await TestServer.start { server, client in
            _ = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array(server.wholeMatch()).buffer)
            let late = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: server.action(24).buffer)
            #expect(late.status == .unprocessableContent)
            #expect(late.errorMessage.contains("finished"))
        }
    }

    @Test func validJSONIsNeverAnsweredAsMalformedAndMetadataNumbersComeBackAsSent() async throws {
        try await TestServer.start { server, client in
            func post(_ text: String) async throws -> LiveClient.Response {
                try await client.execute(
                    uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                    body: ByteBuffer(string: text))
            }
            let outOfRange = try await post(
                #"{"actionId": "\#(UUID().uuidString)", "fixtureActionTypeId": 1104, "period": 1e308}"#)
            #expect(outOfRange.status == .unprocessableContent)
            #expect(outOfRange.errorMessage == "period must be a whole number from 0; 1e308 is out of range.")

            let tooDeep = try await post(String(repeating: "[", count: 100_000))
            #expect(tooDeep.status == .unprocessableContent)
            #expect(tooDeep.errorMessage.hasPrefix("The body nests arrays and objects more than 64 deep"))

            let malformed = try await post(#"{"actionId": "x",}"#)
            #expect(malformed.status == .badRequest)
            #expect(
                malformed.errorMessage
                    == "The body is not valid JSON: unexpected character '}' at byte 17 where a name in quotes "
                    + "was expected.")

            let metadata = #"{"big":1\#(String(repeating: "0", count: 399)),"max":1e308,"min":5e-324,"price":1.50}"#
            let colours = #"{"actionId": "\#(UUID().uuidString)", "fixtureActionTypeId": 2, "metadata": \#(metadata)}"#
            let stored = try await post(colours)
            #expect(stored.status == .created, "\(stored.errorMessage)")
            #expect(String(buffer: stored.body).contains(#""metadata":\#(metadata)"#))
            let retry = try await post(colours)
            #expect(retry.status == .ok, "a retry with the same numbers is recognised")
            #expect(Array(retry.body.readableBytesView) == Array(stored.body.readableBytesView))
        }
    }

    @Test func malformedJSONIs400AndOversizedBodyIs413() async throws {
        try await TestServer.start { server, client in
            let malformed = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: ByteBuffer(string: "{\"actionId\": "))
            #expect(malformed.status == .badRequest)
            #expect(malformed.errorMessage.hasPrefix("The body is not valid JSON"))
            let huge = ByteBuffer(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
            let oversized = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout), body: huge)
            #expect(oversized.status == .contentTooLarge)
            #expect(oversized.errorMessage.contains("1 MiB"))
        }
    }

    @Test func aBodyThatIsNeitherSentNorParsedAsJSONIs415AndJSONLabelledAsFormDataIsTaken() async throws {
        try await TestServer.start { server, client in
            var xml = server.bearer(server.scout)
            xml[.contentType] = "text/xml; charset=utf-8"
            let refused = try await client.execute(
                uri: server.ingestPath, method: .post, headers: xml, body: ByteBuffer(string: "<action/>"))
            #expect(refused.status == .unsupportedMediaType)
            #expect(refused.errorMessage.contains("sent as text/xml"), "\(refused.errorMessage)")
            // What `curl -d` sends: JSON labelled as form data.
            var form = server.bearer(server.scout)
            form[.contentType] = "application/x-www-form-urlencoded"
            let taken = try await client.execute(
                uri: server.ingestPath, method: .post, headers: form, body: server.action(2).buffer)
            #expect(taken.status == .created)
            // Labelled JSON but malformed: 400, the sentence naming the byte.
            var json = server.bearer(server.scout)
            json[.contentType] = "application/json"
            let malformed = try await client.execute(
                uri: server.ingestPath, method: .post, headers: json, body: ByteBuffer(string: "{,}"))
            #expect(malformed.status == .badRequest)
        }
    }

    @Test func ingestNeedsAScoutOrAdminToken() async throws {
        try await TestServer.start { server, client in
            let consumer = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.consumer),
                body: server.action(4).buffer)
            #expect(consumer.status == .forbidden)
            let anonymous = try await client.execute(
                uri: server.ingestPath, method: .post, body: server.action(4).buffer)
            #expect(anonymous.status == .unauthorized)
            let unknownFixture = try await client.execute(
                uri: "/ingest/v2/tabletennis/fixtures/\(UUID().uuidString)/actions", method: .post,
                headers: server.bearer(server.scout), body: server.action(4).buffer)
            #expect(unknownFixture.status == .notFound)
        }
    }

    @Test func concurrentIngestsToOneFixtureNeverInterleaveReuseOrSkipASequenceNumber() async throws {
        try await TestServer.start { server, client in
            _ = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array([server.action(4), server.action(6)]).buffer)
            let answers = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let body = JSONValue.array((0..<5).map { _ in server.action(1104) })
                        let response = try await client.execute(
                            uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                            body: body.buffer)
                        return response.json.arrayValue?.compactMap { $0["fixtureAction"]?["fixtureSeqNum"]?.intValue }
                            ?? []
                    }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            for answer in answers {
                #expect(answer.count == 5)
                #expect(
                    answer == Array((answer.first ?? 0)..<((answer.first ?? 0) + 5)), "an array is stored contiguously")
            }
            #expect(answers.flatMap { $0 }.sorted() == Array(3...62))
        }
    }

    @Test func adminCreatesPatchesAndDeletesFixtures() async throws {
        try await TestServer.start { server, client in
            let id = UUID()
            let body = JSONValue.object([
                "sport": .string("tabletennis"), "id": .string(id.wire), "startDateUTC": .string("2025-06-01T09:00:00"),
                "teams": .array([
                    .object(["name": .string("HARIMOTO Tomokazu")]), .object(["name": .string("LIN Shidong")]),
                ]),
                "competition": .object(["name": .string("WTT Champions")]), "type": .string("Simulation"),
                "rules": .object(["bestOf": .number(7)]),
            ])
            let created = try await client.execute(
                uri: "/admin/fixtures", method: .post, headers: server.bearer(server.admin), body: body.buffer)
            #expect(created.status == .created)
            #expect(created.json["id"] == .string(id.wire))
            #expect(created.json["rules"] == .object(["bestOf": .number(7), "pointsPerGame": .number(11)]))
            #expect(created.json["status"] == .string("Scheduled"))
            #expect(created.json["competition"]?["name"] == .string("WTT Champions"))
            let again = try await client.execute(
                uri: "/admin/fixtures", method: .post, headers: server.bearer(server.admin), body: body.buffer)
            #expect(again.status == .conflict)

            let patch = JSONValue.object(["startDateUTC": .string("2025-06-01T10:30:00")])
            let patched = try await client.execute(
                uri: "/admin/fixtures/\(id.wire)", method: .patch, headers: server.bearer(server.admin),
                body: patch.buffer)
            #expect(patched.status == .ok)
            #expect(patched.json["startDateUTC"] == .string("2025-06-01T10:30:00"))
            #expect(patched.json["updateCount"]?.intValue == 1)

            let unknown = try await client.execute(
                uri: "/admin/fixtures/\(UUID().uuidString)", method: .delete, headers: server.bearer(server.admin))
            #expect(unknown.status == .notFound)
            let deleted = try await client.execute(
                uri: "/admin/fixtures/\(id.wire)", method: .delete, headers: server.bearer(server.admin))
            #expect(deleted.json["fixtureDeleted"] == .bool(true))
            let ingestDeleted = try await client.execute(
                uri: "/ingest/v2/tabletennis/fixtures/\(id.wire)/actions", method: .post,
                headers: server.bearer(server.scout),
                body: server.action(4).buffer)
            #expect(ingestDeleted.status == .unprocessableContent)
            #expect(ingestDeleted.errorMessage.contains("is deleted"))
            let patchDeleted = try await client.execute(
                uri: "/admin/fixtures/\(id.wire)", method: .patch, headers: server.bearer(server.admin),
                body: patch.buffer)
            #expect(patchDeleted.status == .conflict)
            #expect(patchDeleted.errorMessage == "Fixture \(id.wire) is deleted: it can no longer be changed.")
        }
    }

    @Test func adminRefusesBadBodiesAndStartedFixtures() async throws {
        try await TestServer.start { server, client in
            let noTeams = JSONValue.object([
                "sport": .string("tabletennis"), "startDateUTC": .string("2025-06-01T09:00:00"),
            ])
            let refused = try await client.execute(
                uri: "/admin/fixtures", method: .post, headers: server.bearer(server.admin), body: noTeams.buffer)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.errorMessage.contains("teams is required"))
            let badRules = JSONValue.object([
                "sport": .string("tabletennis"), "startDateUTC": .string("2025-06-01T09:00:00"),
                "teams": .array([.object(["name": .string("A")]), .object(["name": .string("B")])]),
                "rules": .object(["bestOf": .number(4)]),
            ])
            let rules = try await client.execute(
                uri: "/admin/fixtures", method: .post, headers: server.bearer(server.admin), body: badRules.buffer)
            #expect(rules.errorMessage == "rules.bestOf must be 3, 5 or 7.")
            let scout = try await client.execute(
                uri: "/admin/fixtures", method: .post, headers: server.bearer(server.scout), body: badRules.buffer)
            #expect(scout.status == .forbidden)

            _ = try await client.execute(
                uri: server.ingestPath, method: .post, headers: server.bearer(server.scout),
                body: server.action(4).buffer)
            let late = try await client.execute(
                uri: "/admin/fixtures/\(server.fixture.id.wire)", method: .patch, headers: server.bearer(server.admin),
                body: JSONValue.object(["type": .string("Training")]).buffer)
            #expect(late.status == .conflict)
            #expect(late.errorMessage.contains("has started"))
        }
    }
}
