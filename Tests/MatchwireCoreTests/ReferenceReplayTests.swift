import Foundation
import MatchwireCore
import Testing

/// The reference table tennis actions, sent again through the engine, give the packets of the sample.
@Suite struct ReferenceReplayTests {
    @Test func replayingTheReferenceActionsGivesTheReferencePackets() throws {
        var engine = try FixtureEngine(fixture: try ReferenceSamples.tableTennisFixture())
        let elements = try ReferenceSamples.tableTennisElements()
        for (element, sample) in zip(elements, try ReferenceSamples.tableTennisPackets()) {
            let outcome = try engine.ingest(
                ReferenceSamples.submission(for: sample), receivedAt: sample.action.timestamp, traceId: sample.traceId)
            guard case .stored(let packet) = outcome else {
                Issue.record("packet \(sample.action.fixtureSeqNum) was taken for a retry")
                return
            }
            #expect(packet.action.fixtureSeqNum == sample.action.fixtureSeqNum)
            #expect(packet.action.timelineSequence == sample.action.timelineSequence)
            #expect(packet.summary == sample.summary, "summary after packet \(sample.action.fixtureSeqNum)")
            #expect(try JSONValue.parse(packet.jsonBytes) == element, "packet \(sample.action.fixtureSeqNum)")
        }
    }
}
