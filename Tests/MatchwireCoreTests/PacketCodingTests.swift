import Foundation
import MatchwireCore
import Testing

@Suite struct PacketCodingTests {
    @Test func referencePacketsDecodeAndEncodeToTheSameJSONValues() throws {
        let elements = try ReferenceSamples.tableTennisElements()
        let packets = try ReferenceSamples.tableTennisPackets()
        #expect(packets.count == 15)
        for (element, packet) in zip(elements, packets) {
            let reencoded = try JSONValue.parse(packet.jsonBytes)
            #expect(reencoded == element, "packet \(packet.action.fixtureSeqNum) changed in a round trip")
        }
    }

    @Test func timelineSequenceIsWrittenWithExactlySixteenDecimals() throws {
        let packets = try ReferenceSamples.tableTennisPackets()
        let tenth = try requireValue(packets.first { $0.action.fixtureSeqNum == 10 })
        let text = String(decoding: tenth.jsonBytes, as: UTF8.self)
        #expect(text.contains("\"timelineSequence\":1.0000000000000010"))
        let first = String(decoding: packets[0].jsonBytes, as: UTF8.self)
        #expect(first.contains("\"timelineSequence\":0.0000000000000001"))
    }

    @Test func timelineSequenceReadsBothNotationsOfTheFeed() throws {
        #expect(TimelineSequence(Decimal(string: "1.0E-16")!) == TimelineSequence(period: 0, fixtureSeqNum: 1))
        #expect(
            TimelineSequence(Decimal(string: "2.0000000000000123")!) == TimelineSequence(period: 2, fixtureSeqNum: 123))
        #expect(TimelineSequence(Decimal(string: "1.00000000000000001")!) == nil)
    }

    @Test func possessionKeyKeepsTheWireSpelling() throws {
        let text = String(decoding: try ReferenceSamples.tableTennisPackets()[0].jsonBytes, as: UTF8.self)
        #expect(text.contains("\"isHomeTeamInPossesion\":true"))
        #expect(!text.contains("isHomeTeamInPossession"))
    }

    @Test func timestampsKeepTheirFormat() throws {
        let milliseconds = try requireValue(Timestamp(iso8601: "2025-05-20T08:25:59.674Z"))
        #expect(milliseconds.description == "2025-05-20T08:25:59.674Z")
        let microseconds = try requireValue(Timestamp(iso8601: "2022-11-06T10:32:49.914282Z"))
        #expect(microseconds.description == "2022-11-06T10:32:49.914282Z")
        #expect(microseconds.dateTimeText == "2022-11-06T10:32:49")
        #expect(Timestamp(iso8601: "2024-02-30T00:00:00Z") == nil)
        #expect(Timestamp(iso8601: "2025-05-20 08:25") == nil)
        let leap = try requireValue(Timestamp(iso8601: "2024-02-29T23:59:59.999Z"))
        #expect(Timestamp(microseconds: leap.microseconds + 1000).description == "2024-03-01T00:00:00.000Z")
    }

    @Test func stringsAreEscaped() throws {
        var writer = JSONWriter()
        writer.value(.object(["text": .string("quote \" backslash \\ newline \n tab \t bell \u{07} é")]))
        let parsed = try JSONValue.parse(writer.bytes)
        #expect(parsed["text"] == .string("quote \" backslash \\ newline \n tab \t bell \u{07} é"))
    }
}
