import Foundation
import MatchwireCore
import MatchwireStore
import NIOCore

/// A stored packet as the streams need it: its bytes, encoded once at ingest and shared by every subscriber's
/// frame, and the facts that decide when it is sent and whether the stream ends after it.
struct StreamPacket: Sendable {
    let seqNum: Int
    /// When the server stored it: the media feed holds it back until this time plus the media delay.
    let receivedAt: Timestamp
    /// `finished: true`: the last packet of the fixture; the stream closes after it.
    let finished: Bool
    /// The packet's JSON, the payload of its text frame. Copies share the same storage.
    let bytes: ByteBuffer
    /// The scout's `timestamp` of the action, when known without reading the JSON.
    private let knownTimestamp: Timestamp?

    /// A packet the writer has just stored, from the model it was encoded from.
    init(packet: Packet, receivedAt: Timestamp, bytes: [UInt8]) {
        self.seqNum = packet.action.fixtureSeqNum
        self.receivedAt = receivedAt
        self.finished = packet.finished
        self.bytes = ByteBuffer(bytes: bytes)
        self.knownTimestamp = packet.action.timestamp
    }

    /// A packet read back from the store, for a backlog or a replay. `finished` is read from the bytes without
    /// parsing them: `Packet.write` puts the top-level `finished` before anything nested, so the first
    /// `"finished":` of the text is the packet's own.
    init(stored: StoredPacket) throws {
        guard let finished = Self.firstFinished(in: stored.bytes) else {
            throw StoredPacketUnreadable(fixtureId: stored.fixtureId, seqNum: stored.seqNum)
        }
        self.seqNum = stored.seqNum
        self.receivedAt = stored.receivedAt
        self.finished = finished
        self.bytes = ByteBuffer(bytes: stored.bytes)
        self.knownTimestamp = nil
    }

    /// The packet's whole text frame as a server sends it (unmasked, final, header then payload), the same bytes
    /// for every connection: the hub writes it past the websocket encoder (see ``DirectDelivery``).
    var textFrame: ByteBuffer {
        let length = bytes.readableBytes
        var frame = ByteBuffer()
        frame.reserveCapacity(10 + length)
        frame.writeInteger(UInt8(0x81))  // FIN, opcode 1 (text)
        if length < 126 {
            frame.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            frame.writeInteger(UInt8(126))
            frame.writeInteger(UInt16(length))
        } else {
            frame.writeInteger(UInt8(127))
            frame.writeInteger(UInt64(length))
        }
        frame.writeImmutableBuffer(bytes)
        return frame
    }

    /// The scout's `timestamp` of the action: a normal-speed replay keeps the gaps between them.
    func timestamp() throws -> Timestamp {
        if let knownTimestamp { return knownTimestamp }
        guard let json = try? JSONValue.parse(bytes.readableBytesView),
            let text = json["fixtureAction"]?["timestamp"]?.stringValue,
            let timestamp = Timestamp(iso8601: text) ?? Timestamp(localDateTime: text)
        else {
            throw StoredPacketUnreadable(fixtureId: nil, seqNum: seqNum)
        }
        return timestamp
    }

    private static let finishedKey = Array(#""finished":"#.utf8)

    static func firstFinished(in bytes: [UInt8]) -> Bool? {
        let key = finishedKey
        guard bytes.count > key.count else { return nil }
        for start in 0..<(bytes.count - key.count) where bytes[start] == key[0] {
            guard bytes[start..<(start + key.count)].elementsEqual(key) else { continue }
            switch bytes[start + key.count] {
            case UInt8(ascii: "t"): return true
            case UInt8(ascii: "f"): return false
            default: return nil
            }
        }
        return nil
    }
}

/// A stored packet whose JSON lacks what every packet has: a server fault.
struct StoredPacketUnreadable: Error, CustomStringConvertible {
    let fixtureId: UUID?
    let seqNum: Int

    var description: String {
        "stored packet \(seqNum)\(fixtureId.map { " of fixture \($0.wire)" } ?? "") is not a readable packet"
    }
}
