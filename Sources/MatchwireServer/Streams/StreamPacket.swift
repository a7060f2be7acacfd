import Foundation
import MatchwireCore
import MatchwireStore
import NIOCore

/// A stored packet as the streams need it, an action packet or a statistics packet (``StreamContent``): its
/// bytes, encoded once at ingest and shared by every subscriber's frame, and the facts that decide when it is
/// sent and whether the stream ends after it.
struct StreamPacket: Sendable {
    /// Its number in its topic's sequence: `fixtureSeqNum` for an action packet, the statistics `seqNum` for a
    /// statistics packet.
    let seqNum: Int
    /// When the server stored it: the media feed holds it back until this time plus the media delay.
    let receivedAt: Timestamp
    /// `finished: true`: the last packet of the fixture; the stream closes after it.
    let finished: Bool
    /// The packet's JSON, the payload of its text frame. Copies share the same storage.
    let bytes: ByteBuffer
    /// Where the scout's `timestamp` of the action is: known, or read from the JSON when a replay needs it.
    private let timestamp: TimestampSource

    private enum TimestampSource {
        case known(Timestamp)
        /// An action packet's `fixtureAction.timestamp`.
        case inFixtureAction
        /// A statistics packet's top-level `timestamp` (its action packet's).
        case atTopLevel
    }

    /// A packet the writer has just stored, from the model it was encoded from.
    init(packet: Packet, receivedAt: Timestamp, bytes: [UInt8]) {
        self.seqNum = packet.action.fixtureSeqNum
        self.receivedAt = receivedAt
        self.finished = packet.finished
        self.bytes = ByteBuffer(bytes: bytes)
        self.timestamp = .known(packet.action.timestamp)
    }

    /// A statistics packet the writer has just stored with the action packet that made it.
    init(statistics: StatisticsPacket, receivedAt: Timestamp, bytes: [UInt8]) {
        self.seqNum = statistics.seqNum
        self.receivedAt = receivedAt
        self.finished = statistics.finished
        self.bytes = ByteBuffer(bytes: bytes)
        self.timestamp = .known(statistics.timestamp)
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
        self.timestamp = .inFixtureAction
    }

    /// A statistics packet read back from the store. Its top-level `finished` also comes before anything nested.
    init(statistics stored: StoredStatistics, fixtureId: UUID) throws {
        guard let finished = Self.firstFinished(in: stored.bytes) else {
            throw StoredPacketUnreadable(fixtureId: fixtureId, seqNum: stored.seqNum, kind: "statistics packet")
        }
        self.seqNum = stored.seqNum
        self.receivedAt = stored.receivedAt
        self.finished = finished
        self.bytes = ByteBuffer(bytes: stored.bytes)
        self.timestamp = .atTopLevel
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

    /// A packet with its ``textFrame``, made once per publish for every subscriber of every event loop.
    struct Framed: Sendable {
        let packet: StreamPacket
        let frame: ByteBuffer
    }

    var framed: Framed { Framed(packet: self, frame: textFrame) }

    /// The scout's `timestamp` of the action: a normal-speed replay keeps the gaps between them.
    func actionTimestamp() throws -> Timestamp {
        let json: JSONValue?
        switch timestamp {
        case .known(let timestamp): return timestamp
        case .inFixtureAction: json = (try? JSONValue.parse(bytes.readableBytesView))?["fixtureAction"]
        case .atTopLevel: json = try? JSONValue.parse(bytes.readableBytesView)
        }
        guard let text = json?["timestamp"]?.stringValue,
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
    var kind = "packet"

    var description: String {
        "stored \(kind) \(seqNum)\(fixtureId.map { " of fixture \($0.wire)" } ?? "") is not a readable \(kind)"
    }
}
