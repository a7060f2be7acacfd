import Foundation
import MatchwireCore
import MatchwireStore
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import MatchwireServer

/// Reading a stored packet's `finished` without parsing it relies on the key order `Packet.write` keeps.
@Suite struct StreamPacketTests {
    @Test(arguments: [false, true])
    func topLevelFinishedIsTheFirstInTheText(finished: Bool) throws {
        var packet = try Packet.decode(Array(Self.referencePacket.utf8))
        packet.finished = finished
        packet.summary.finished = !finished  // a nested value that differs must not be read
        #expect(StreamPacket.firstFinished(in: packet.jsonBytes) == finished)
    }

    /// The last packet of the table tennis reference sample.
    static let referencePacket =
        #"{"traceId":"9f09ce3db7a0c2e3d4b5cef9bece5504","version":3,"finished":false,"fixtureAction":{"team":{"id":"353b35e6-4e24-4e58-900d-2f89968dc439","name":"PARK Gahyeon","homeTeam":true},"period":1,"actionId":"c0be0884-f660-4f3c-8d5b-f69ea8318c7e","sendType":"Confirmed","clockTime":"00:00","fixtureId":"7c2253bb-790d-4cc5-9874-afa75d771e14","timestamp":"2025-05-20T08:31:32.082Z","sendTypeId":5,"fixtureSeqNum":15,"timelineSequence":1.0000000000000016,"fixtureActionType":"Swap Serve","fixtureActionTypeId":1103,"relatedFixtureActionIds":[]},"fixtureSummary":{"isTied":true,"periods":[{"id":1,"end":null,"type":"Regular","label":"1st Set","start":"2025-05-20T08:30:00","awayTeamScore":0,"homeTeamScore":0,"awayTeamPeriodScore":1,"homeTeamPeriodScore":3}],"finished":false,"awayTeamScore":0,"currentPeriod":1,"currentStatus":"Live","homeTeamScore":0,"collectionStatus":"CollectingLive","currentClockTime":"00:00","currentClockState":"stopped","isHomeTeamInPossesion":true}}"#

    @Test func textWithoutFinishedIsUnreadable() {
        #expect(StreamPacket.firstFinished(in: Array(#"{"traceId":"x"}"#.utf8)) == nil)
        #expect(StreamPacket.firstFinished(in: Array(#"{"finished":null}"#.utf8)) == nil)
    }

    /// The frame the hub writes past the websocket encoder must be exactly what a client's decoder reads: each
    /// of the three length encodings, at their edges.
    @Test(arguments: [0, 125, 126, 65_535, 65_536, 70_000])
    func textFrameIsReadBackByNIOsDecoder(padding: Int) throws {
        let json =
            Array(#"{"finished":false,"pad":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: padding) + [
                UInt8(ascii: "\""), UInt8(ascii: "}"),
            ]
        let packet = try StreamPacket(
            stored: StoredPacket(
                fixtureId: UUID(), seqNum: 1, period: 1, actionId: UUID(), sendType: .confirmed, traceId: "t",
                receivedAt: .now, submission: [], bytes: json))
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
        try channel.writeInbound(packet.textFrame)
        let frame = try #require(try channel.readInbound(as: WebSocketFrame.self))
        #expect(frame.fin && frame.opcode == .text && frame.maskKey == nil)
        #expect(Array(frame.unmaskedData.readableBytesView) == json)
        #expect(try channel.readInbound(as: WebSocketFrame.self) == nil, "one frame, nothing left over")
        _ = try channel.finish()
    }
}
