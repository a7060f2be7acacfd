import Foundation
import MatchwireCore
import Testing

/// The soccer (`001_*`) and basketball (`002_*`) excerpts of the public feed's documentation: every packet
/// decodes, and its action, sent again through the engine, gives the summary shown wherever the sample agrees
/// with sports.md. Where it does not, the test says why the field or packet is left out.
@Suite struct ReferenceExcerptTests {
    /// One excerpt and what of it is not replayed or not compared.
    struct Excerpt: CustomTestStringConvertible, Sendable {
        let resource: String
        let fixture: Fixture
        /// Packets (by fixtureSeqNum) not sent again, and the refusal the engine gives if it is sent, if any.
        let notReplayed: [Int: String?]
        /// Summary fields (by fixtureSeqNum) that the sample gives differently from sports.md.
        let notCompared: [Int: Set<String>]

        var testDescription: String { resource }
    }

    static let soccer = Excerpt(
        resource: "soccer-reference",
        fixture: Fixture(
            id: UUID(uuidString: "b5a73497-acc3-499d-8241-ba278ebd5985")!, sport: .soccer,
            startDate: Timestamp(localDateTime: "2022-11-06T11:00:00")!,
            teams: [
                TeamRef(
                    id: UUID(uuidString: "9480167c-e438-478e-ac14-3a77ee83d37c")!, name: "Naestved Boldklub",
                    homeTeam: true),
                TeamRef(id: UUID(uuidString: "00000000-0000-4000-8000-000000000002")!, name: "Away", homeTeam: false),
            ],
            rules: SoccerRules().rulesObject),
        notReplayed: [:],
        // "LineUps" is not a fixture status (sports.md §1): Lineups leaves the status Scheduled.
        notCompared: [4: ["currentStatus"]])

    static let basketball = Excerpt(
        resource: "basketball-reference",
        fixture: Fixture(
            id: UUID(uuidString: "acf80323-ccb3-4828-a7dc-63f21b529b62")!, sport: .basketball,
            startDate: Timestamp(localDateTime: "2022-11-06T11:30:00")!,
            teams: [
                TeamRef(id: UUID(uuidString: "02ed1f32-385f-4e0f-b78f-390a498d34af")!, name: "Rudar", homeTeam: true),
                TeamRef(
                    id: UUID(uuidString: "b86946a8-90a6-42ce-be64-79984b085bf2")!, name: "Podgorica II",
                    homeTeam: false),
            ],
            rules: BasketballRules().rulesObject),
        notReplayed: [
            // An Updated packet for an action the excerpt never sent: sports.md §2 refuses it.
            6: "Updated refers to action 388ccebd-9832-4dd3-9f83-59c6e3cea19c, which is unknown: "
                + "a new action starts as Pending or Confirmed.",
            // The final packet of the match, quoted without the 1,527 packets before it.
            1535: nil,
        ],
        notCompared: [
            // "LineUps" is not a fixture status; Start Fixture sets Live (sports.md §1).
            4: ["currentStatus"], 5: ["currentStatus"], 7: ["currentStatus"],
            // Started 2 microseconds after Start Clock's own start, so no whole second has run (sports.md §3).
            9: ["currentClockTime"],
        ])

    @Test(arguments: [soccer, basketball])
    func excerptReplaysToTheSummariesShown(_ excerpt: Excerpt) throws {
        var engine = try FixtureEngine(fixture: excerpt.fixture)
        var compared = 0
        for element in try ReferenceSamples.elements(excerpt.resource) {
            let sample = try ReferenceSamples.action(of: element, in: excerpt.fixture)
            let seqNum = sample.fixtureSeqNum
            let submission = ActionSubmission(
                actionId: sample.actionId, actionType: .id(sample.actionTypeId), sendType: sample.sendType,
                subTypeId: sample.subType?.id, teamId: sample.team?.id, player: sample.player,
                timestamp: sample.timestamp, metadata: sample.metadata, relatedActionIds: sample.relatedActionIds)
            if let skipped = excerpt.notReplayed[seqNum] {
                if let expected = skipped {
                    #expect(
                        refusal { _ = try engine.ingest(submission, receivedAt: sample.timestamp, traceId: "") }
                            == expected)
                }
                continue
            }
            guard
                case .stored(let packet) = try engine.ingest(
                    submission, receivedAt: sample.timestamp, traceId: String(repeating: "0", count: 32))
            else {
                Issue.record("packet \(seqNum) was taken for a retry")
                return
            }
            #expect(packet.action.period == sample.period, "period of packet \(seqNum)")
            #expect(packet.action.clockTime == sample.clockTime, "clockTime of packet \(seqNum)")
            #expect(packet.action.actionType == sample.actionType, "type of packet \(seqNum)")

            let ours = try JSONValue.parse(packet.jsonBytes)["fixtureSummary"]
            let shown = try requireValue(element["fixtureSummary"]?.objectValue, "fixtureSummary")
            let skippedFields = excerpt.notCompared[seqNum] ?? []
            for (field, value) in shown where !skippedFields.contains(field) {
                #expect(ours?[field] == value, "fixtureSummary.\(field) after packet \(seqNum)")
                compared += 1
            }
        }
        #expect(compared > 20, "the excerpt was compared field by field")
    }
}
