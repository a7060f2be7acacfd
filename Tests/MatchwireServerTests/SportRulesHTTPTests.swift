import Foundation
import HTTPTypes
import HummingbirdTesting
import MatchwireCore
import MatchwireServer
import Testing

/// Every sport over HTTP: a fixture created by an operator, a match ingested by a scout, read back on the sport's
/// REST and stream paths; and every rule, broken once, answered 422 with its sentence while nothing is stored.
@Suite struct SportRulesHTTPTests {
    /// One action as a scout writes it, before the fixture's team ids are known.
    struct Act: Sendable {
        var type: Int
        var side: Side?
        var subType: Int?
        var metadata: JSONValue?
        var sendType: SendType = .confirmed
        var id = UUID()
        var period: Int?

        init(
            _ type: Int, _ side: Side? = nil, sub subType: Int? = nil, metadata: JSONValue? = nil,
            _ sendType: SendType = .confirmed, id: UUID = UUID(), period: Int? = nil
        ) {
            self.type = type
            self.side = side
            self.subType = subType
            self.metadata = metadata
            self.sendType = sendType
            self.id = id
            self.period = period
        }

        func json(for fixture: Fixture) -> JSONValue {
            var object: [String: JSONValue] = [
                "actionId": .string(id.wire), "fixtureActionTypeId": .number(type),
                "sendTypeId": .number(sendType.rawValue),
            ]
            if let side { object["team"] = ["id": .string((side == .home ? fixture.home : fixture.away).id.wire)] }
            if let subType { object["fixtureActionSubTypeId"] = .number(subType) }
            if let metadata { object["metadata"] = metadata }
            if let period { object["period"] = .number(period) }
            return .object(object)
        }
    }

    /// A rule broken: the fixture, what came before, the action refused and the sentence expected.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let sport: Sport
        var rules: JSONValue = [:]
        let before: [Act]
        let refused: Act
        let sentence: String

        var testDescription: String { "\(sport.rawValue): \(sentence)" }
    }

    static let shot = UUID()
    static let startPeriod = UUID()
    static let level: JSONValue = ["penaltyShootout": true]
    static let cup: JSONValue = ["extraTime": true]
    /// A soccer match level after the 2nd half, ready for what the rules call for next.
    static let levelAfterNinety = [Act(4), Act(6), Act(7), Act(6), Act(7)]
    typealias Hockey = IceHockeyRules.Action
    /// Three periods played without a goal.
    static let levelAfterThree = [Act(4), Act(6), Act(7), Act(6), Act(7), Act(6), Act(7)]
    static let shortGames: JSONValue = ["bestOf": 3, "pointsPerGame": 3]
    static var homeGame: [Act] { [Act(1102, .home), Act(1102, .home), Act(1102, .home)] }

    static let shortSets: JSONValue = ["bestOf": 3, "pointsPerSet": 5, "pointsInDecidingSet": 5]
    static var homeSet: [Act] { (1...5).map { _ in Act(1202, .home) } }
    static let refusals: [Refusal] = [
        // Common to every sport (sports.md §1, §2)
        Refusal(
            sport: .basketball, before: [], refused: Act(232, .home, sub: 23201),
            sentence: "2PT Shot is refused: the fixture has not started (send Start Fixture first)."),
        Refusal(
            sport: .soccer, before: [Act(4)], refused: Act(104, .home),
            sentence: "Goal is refused: no period is open (send Start Period first)."),
        Refusal(
            sport: .soccer, before: [Act(4)], refused: Act(4),
            sentence: "Start Fixture is refused: the fixture has already started."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6)], refused: Act(5),
            sentence: "End Fixture is refused: the 1st quarter is still open (send End Period first)."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6)], refused: Act(6),
            sentence: "Start Period is refused: the 1st quarter is still open (send End Period first)."),
        Refusal(
            sport: .soccer, before: [Act(4)], refused: Act(7), sentence: "End Period is refused: no period is open."),
        Refusal(
            sport: .soccer, before: [Act(4)], refused: Act(21),
            sentence: "Post Match Check Complete is refused: the fixture has not ended (send End Fixture first)."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6)], refused: Act(202),
            sentence: "Defensive Rebound needs a team: give team.id of the home or away team."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6)], refused: Act(8, .home),
            sentence: "Start Clock does not belong to a team: leave team out."),
        Refusal(
            sport: .soccer, before: [Act(4), Act(6)], refused: Act(10, metadata: ["clockTime": "ninety"]),
            sentence: "Adjust Clock needs metadata.clockTime as \"mm:ss\"."),
        Refusal(
            sport: .soccer, before: [], refused: Act(232, .home),
            sentence: "fixtureActionTypeId 232 is not an action of soccer."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6)], refused: Act(231, .home, sub: 23201),
            sentence: "fixtureActionSubTypeId 23201 is not a sub type of Free Throw."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6)], refused: Act(202, .home, period: 2),
            sentence: "period 2 is wrong: this action belongs to period 1."),
        Refusal(
            sport: .soccer, before: [], refused: Act(22, metadata: ["fixtureStatus": 9]),
            sentence: "metadata.fixtureStatus must be an integer from 0 to 7."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6), Act(232, .home, sub: 23201, id: shot)],
            refused: Act(232, .home, sub: 23201, .restored, id: shot),
            sentence:
                "Restored is refused for action \(shot.wire): it is Confirmed, and only Updated or Deleted may follow."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6), Act(232, .home, sub: 23201, id: shot)],
            refused: Act(233, .home, sub: 23301, .deleted, id: shot),
            sentence: "Deleted must name the action's type, 2PT Shot, not 3PT Shot (send Updated to change the type)."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6, id: startPeriod), Act(232, .home, sub: 23201, id: shot)],
            refused: Act(6, nil, .deleted, id: startPeriod),
            sentence:
                "Deleted of action \(startPeriod.wire) is refused: with it, action \(shot.wire) (fixtureSeqNum 3) "
                + "would break the rules: 2PT Shot is refused: no period is open (send Start Period first)."),
        Refusal(
            sport: .basketball,
            before: [Act(4)] + (1...4).flatMap { _ in [Act(6), Act(7)] } + [
                Act(6), Act(232, .away, sub: 23201), Act(7), Act(5), Act(21),
            ],
            refused: Act(24),
            sentence: "The fixture is finished: no action is accepted after it (Post Match Check Complete was sent)."),

        // Table tennis (sports.md §4)
        Refusal(
            sport: .tableTennis, rules: shortGames, before: [Act(4), Act(6), Act(1102, .home)], refused: Act(7),
            sentence: "End Period is refused: the 1st Set is not won at 1-0 (a game is won at 3 with a two-point lead)."
        ),
        Refusal(
            sport: .tableTennis, rules: shortGames, before: [Act(4), Act(6)] + homeGame, refused: Act(1102, .away),
            sentence: "Point Scored is refused: the 1st Set is already won 3-0 by the home side "
                + "(send End Period, then Start Period for the next game)."),
        Refusal(
            sport: .tableTennis, rules: shortGames,
            before: [Act(4), Act(6)] + homeGame + [Act(7), Act(6)] + homeGame + [Act(7)], refused: Act(6),
            sentence: "Start Period is refused: the match is already won 2-0 in games."),
        Refusal(
            sport: .tableTennis, rules: shortGames, before: [Act(4), Act(6)] + homeGame + [Act(7)], refused: Act(5),
            sentence: "End Fixture is refused: no side has won 2 games (games 1-0)."),

        // Volleyball (sports.md §7)
        Refusal(
            sport: .volleyball, rules: shortSets, before: [Act(4), Act(6)] + homeSet, refused: Act(1202, .away),
            sentence: "Point Scored is refused: the 1st Set is already won 5-0 by the home side "
                + "(send End Period, then Start Period for the next set)."),
        Refusal(
            sport: .volleyball, rules: shortSets,
            before: [Act(4), Act(6)] + (1...4).flatMap { _ in [Act(1202, .home), Act(1202, .away)] },
            refused: Act(7),
            sentence: "End Period is refused: the 1st Set is not won at 4-4 (a set is won at 5 with a two-point lead)."),
        Refusal(
            sport: .volleyball, rules: shortSets,
            before: [Act(4), Act(6)] + homeSet + [Act(7), Act(6)] + homeSet + [Act(7)], refused: Act(6),
            sentence: "Start Period is refused: the match is already won 2-0 in sets."),
        Refusal(
            sport: .volleyball, rules: shortSets, before: [Act(4), Act(6)] + homeSet + [Act(7)], refused: Act(5),
            sentence: "End Fixture is refused: no side has won 2 sets (sets 1-0)."),

        // Ice hockey (sports.md §8)
        Refusal(
            sport: .iceHockey, before: levelAfterThree + [Act(6), Act(Hockey.goal, .home)],
            refused: Act(Hockey.goal, .away),
            sentence: "Goal is refused: the overtime is sudden death and its goal is already scored (1-0); "
                + "End Period is next."),
        Refusal(
            sport: .iceHockey, before: levelAfterThree + [Act(6), Act(7), Act(6)], refused: Act(Hockey.goal, .home),
            sentence: "Goal is refused in the shootout: send Shootout Attempt (311) instead."),
        Refusal(
            sport: .iceHockey, before: [Act(4), Act(6)],
            refused: Act(Hockey.shootoutAttempt, .home, sub: IceHockeyRules.SubType.shootoutAttemptScored),
            sentence: "Shootout Attempt is refused: the 1st period is not the shootout."),
        Refusal(
            sport: .iceHockey, before: levelAfterThree + [Act(6), Act(7), Act(6)], refused: Act(7),
            sentence: "End Period is refused: the shootout is level at 0-0, and it ends only with one side ahead."),
        Refusal(
            sport: .iceHockey,
            before: [Act(4), Act(6), Act(Hockey.goal, .home), Act(7), Act(6), Act(7), Act(6), Act(7)], refused: Act(6),
            sentence: "Start Period is refused: the overtime is played only while the score is level, "
                + "and it is 1-0 after the 3rd period."),
        Refusal(
            sport: .iceHockey, before: levelAfterThree, refused: Act(5),
            sentence: "End Fixture is refused: the score is level at 0-0, and the rules call for an overtime."),
        Refusal(
            sport: .iceHockey, rules: ["overtime": false, "shootout": false], before: levelAfterThree, refused: Act(6),
            sentence: "Start Period is refused: the rules (overtime false, shootout false) have no period 4."),
        Refusal(
            sport: .iceHockey, before: [Act(4), Act(6)], refused: Act(Hockey.penalty, .home, metadata: ["minutes": 30]),
            sentence: "Penalty's metadata.minutes, when given, must be an integer from 2 to 25."),

        // Soccer (sports.md §5)
        Refusal(
            sport: .soccer, before: levelAfterNinety, refused: Act(6),
            sentence: "Start Period is refused: the rules (extraTime false, penaltyShootout false) have no period 3."),
        Refusal(
            sport: .soccer, rules: cup, before: [Act(4), Act(6), Act(104, .home), Act(7), Act(6), Act(7)],
            refused: Act(6), sentence: "Start Period is refused: the match is not level after the 2nd half (1-0)."),
        Refusal(
            sport: .soccer, rules: cup, before: levelAfterNinety, refused: Act(5),
            sentence: "End Fixture is refused: the match is level and the rules call for extra time."),
        Refusal(
            sport: .soccer, rules: level, before: levelAfterNinety, refused: Act(5),
            sentence: "End Fixture is refused: the match is level and the rules call for a penalty shootout."),
        Refusal(
            sport: .soccer, before: [Act(4), Act(6), Act(7)], refused: Act(5),
            sentence: "End Fixture is refused: only 1 of 2 halves have been played."),
        Refusal(
            sport: .soccer, rules: level, before: levelAfterNinety + [Act(6)], refused: Act(104, .home),
            sentence: "Goal is refused in the penalty shootout: send Shootout Kick (130) instead."),
        Refusal(
            sport: .soccer, rules: level, before: [Act(4), Act(6)], refused: Act(130, .home, sub: 13001),
            sentence: "Shootout Kick is refused: the 1st half is not a penalty shootout."),
        Refusal(
            sport: .soccer, rules: level, before: levelAfterNinety + [Act(6)], refused: Act(130, .home),
            sentence:
                "Shootout Kick needs its outcome when Confirmed: fixtureActionSubTypeId 13001 Scored or 13002 Missed."),
        Refusal(
            sport: .soccer, rules: level, before: levelAfterNinety + [Act(6), Act(130, .home, sub: 13002)],
            refused: Act(7), sentence: "End Period is refused: the penalty shootout is level at 0-0."),

        // Basketball (sports.md §6)
        Refusal(
            sport: .basketball, before: [Act(4), Act(6)], refused: Act(233, .home),
            sentence: "3PT Shot needs its outcome when Confirmed: fixtureActionSubTypeId 23301 Made or 23302 Missed."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6), Act(232, .home, sub: 23202, id: shot)],
            refused: Act(232, .home, .updated, id: shot),
            sentence: "2PT Shot needs its outcome when Updated: fixtureActionSubTypeId 23201 Made or 23202 Missed."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6)], refused: Act(213, .home, metadata: ["count": 5]),
            sentence: "Free Throws Awarded needs metadata.count, an integer from 1 to 3."),
        Refusal(
            sport: .basketball, before: [Act(4), Act(6), Act(7)], refused: Act(5),
            sentence: "End Fixture is refused: only 1 of 4 quarters have been played."),
        Refusal(
            sport: .basketball, before: [Act(4)] + (1...4).flatMap { _ in [Act(6), Act(7)] }, refused: Act(5),
            sentence: "End Fixture is refused: the score is level at 0-0, and a basketball match cannot end tied "
                + "(start an overtime)."),
        Refusal(
            sport: .basketball,
            before: [Act(4)] + (1...3).flatMap { _ in [Act(6), Act(7)] } + [
                Act(6), Act(232, .away, sub: 23201), Act(7),
            ],
            refused: Act(6),
            sentence: "Start Period is refused: an overtime is played only while the score is level, "
                + "and it is 0-2 after the 4th quarter."),
    ]

    @Test(arguments: refusals)
    func brokenRuleIs422WithItsSentenceAndStoresNothing(_ refusal: Refusal) async throws {
        try await TestServer.start { server, client in
            let fixture = try await Self.createFixture(
                refusal.sport, rules: refusal.rules, server: server, client: client)
            let path = Self.ingestPath(fixture)
            if !refusal.before.isEmpty {
                let setup = try await client.execute(
                    uri: path, method: .post, headers: server.bearer(server.scout),
                    body: JSONValue.array(refusal.before.map { $0.json(for: fixture) }).buffer)
                try #require(setup.status == .created, "the actions before the refusal: \(setup.errorMessage)")
            }
            let response = try await client.execute(
                uri: path, method: .post, headers: server.bearer(server.scout),
                body: refusal.refused.json(for: fixture).buffer)
            #expect(response.status == .unprocessableContent)
            #expect(response.errorMessage == refusal.sentence)
            #expect(try await server.store.lastSeqNum(fixtureId: fixture.id) == refusal.before.count)
        }
    }

    /// An overtime game over HTTP: the REST list and a replayed stream on `/basketball` give the same packets,
    /// and the final summary is what the scorer wrote.
    @Test func basketballGameIsServedOnItsRESTAndStreamPaths() async throws {
        try await TestServer.start { server, client in
            let fixture = try await Self.createFixture(.basketball, rules: [:], server: server, client: client)
            var game = [Act(4)]
            for quarter in 1...4 {
                game += [Act(6), Act(8), Act(232, quarter % 2 == 0 ? .home : .away, sub: 23201), Act(7)]
            }
            game += [Act(6), Act(8), Act(233, .home, sub: 23301), Act(7), Act(5), Act(21)]
            let ingested = try await client.execute(
                uri: Self.ingestPath(fixture), method: .post, headers: server.bearer(server.scout),
                body: JSONValue.array(game.map { $0.json(for: fixture) }).buffer)
            #expect(ingested.status == .created)

            let list = try await client.execute(
                uri: "/basketball/fixtures/\(fixture.id.wire)/actions", method: .get, headers: server.consumerHeaders())
            let packets = try #require(list.json.arrayValue)
            #expect(packets.count == game.count)
            let final = try #require(packets.last?["fixtureSummary"])
            #expect(final["homeTeamScore"] == 7)
            #expect(final["awayTeamScore"] == 4)
            #expect(final["periods"]?.arrayValue?.last?["label"] == "1st overtime")
            #expect(final["periods"]?.arrayValue?.last?["type"] == "Overtime")

            let transcript = try await StreamClient.run(
                port: try #require(client.port), path: "/basketball/fixtures/\(fixture.id.wire)/actions?speed=fast",
                firstFrame: StreamClient.auth(server.consumer))
            // The list is in timelineSequence order (period-0 packets first); the stream in fixtureSeqNum order.
            let bySeqNum = packets.sorted {
                ($0["fixtureAction"]?["fixtureSeqNum"]?.intValue ?? 0)
                    < ($1["fixtureAction"]?["fixtureSeqNum"]?.intValue ?? 0)
            }
            #expect(transcript.packets == bySeqNum)
            #expect(transcript.closeCode == .normalClosure)
        }
    }

    static func ingestPath(_ fixture: Fixture) -> String {
        "/ingest/\(fixture.sport.pathSegment)/fixtures/\(fixture.id.wire)/actions"
    }

    /// Creates a fixture of `sport` through the operator API and returns it as served.
    static func createFixture(
        _ sport: Sport, rules: JSONValue, server: TestServer, client: LiveClient
    ) async throws -> Fixture {
        let home = UUID()
        let away = UUID()
        let body: JSONValue = [
            "sport": .string(sport.rawValue), "startDateUTC": "2026-03-01T18:00:00",
            "teams": [["id": .string(home.wire), "name": "Home"], ["id": .string(away.wire), "name": "Away"]],
            "rules": rules,
        ]
        let created = try await client.execute(
            uri: "/admin/fixtures", method: .post, headers: server.bearer(server.admin), body: body.buffer)
        try #require(created.status == .created, "\(created.errorMessage)")
        let id = try #require(created.json["id"]?.stringValue.flatMap(UUID.init(uuidString:)))
        return Fixture(
            id: id, sport: sport, startDate: try #require(Timestamp(localDateTime: "2026-03-01T18:00:00")),
            teams: [TeamRef(id: home, name: "Home", homeTeam: true), TeamRef(id: away, name: "Away", homeTeam: false)],
            rules: rules)
    }
}
