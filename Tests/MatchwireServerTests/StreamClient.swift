import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import MatchwireCore
import NIOCore
import NIOWebSocket
import Synchronization

/// What a stream client received: every text frame as JSON, with the time it arrived, and the close code.
final class StreamTranscript: Sendable {
    struct Entry: Sendable {
        let json: JSONValue
        let text: String
        let arrived: ContinuousClock.Instant

        /// A control message as "LEVEL: message".
        var control: String { "\(json["level"]?.stringValue ?? "?"): \(json["message"]?.stringValue ?? "?")" }
    }

    private let entries = Mutex<[Entry]>([])
    private let lastSeqNumBox = Mutex<Int?>(nil)
    /// The number of the last packet received, read without going through every entry.
    var lastSeqNum: Int? { lastSeqNumBox.withLock { $0 } }
    private let closeCodeBox = Mutex<WebSocketErrorCode?>(nil)

    var all: [Entry] { entries.withLock { $0 } }
    /// The data frames (action or statistics packets), in arrival order.
    var packets: [JSONValue] { all.map(\.json).filter { Self.number(of: $0) != nil } }
    /// The data frames with the time each arrived.
    var packetEntries: [Entry] { all.filter { Self.number(of: $0.json) != nil } }
    /// The packets' numbers: `fixtureSeqNum` of action packets, the statistics `seqNum` of statistics packets.
    var seqNums: [Int] { packets.compactMap(Self.number(of:)) }
    /// The control messages (INFO, ERROR, heartbeats), in arrival order.
    var controls: [Entry] { all.filter { $0.json["level"] != nil } }
    var closeCode: WebSocketErrorCode? { closeCodeBox.withLock { $0 } }

    func append(_ text: String) {
        let json = (try? JSONValue.parse(Array(text.utf8))) ?? .null
        entries.withLock { $0.append(Entry(json: json, text: text, arrived: .now)) }
        if let seqNum = Self.number(of: json) { lastSeqNumBox.withLock { $0 = seqNum } }
    }

    /// A packet's number in its stream; nil for a control message.
    static func number(of json: JSONValue) -> Int? {
        if let action = json["fixtureAction"] { return action["fixtureSeqNum"]?.intValue }
        return json["teamActionAggregates"] != nil ? json["seqNum"]?.intValue : nil
    }

    func closed(_ code: WebSocketErrorCode?) {
        closeCodeBox.withLock { $0 = code }
    }
}

/// A real websocket client for the stream tests.
enum StreamClient {
    static let accept: HTTPFields = [.accept: "application/vnd.imggaming.dde.api+json;version=1"]

    /// Connects, sends `firstFrame` (the auth message) unless nil, then records every text frame until the server
    /// closes or `stop` says so. `hold`, when given, is awaited after the first control message, before anything
    /// else is read: a client that stalls.
    @discardableResult
    static func run(
        port: Int, path: String, firstFrame: String?, into transcript: StreamTranscript = StreamTranscript(),
        hold: (@Sendable () async -> Void)? = nil,
        stop: @escaping @Sendable (StreamTranscript) -> Bool = { _ in false }
    ) async throws -> StreamTranscript {
        var logger = Logger(label: "stream-client")
        logger.logLevel = .critical
        let close = try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(port)\(path)",
            configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: accept, autoPing: .disabled),
            logger: logger
        ) { inbound, outbound, _ in
            if let firstFrame { try await outbound.write(.text(firstFrame)) }
            var held = hold == nil
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                transcript.append(text)
                if !held, let hold {
                    held = true
                    await hold()
                }
                if stop(transcript) { return }
            }
        }
        transcript.closed(close?.closeCode)
        return transcript
    }

    static func auth(_ token: String) -> String { #"{"authToken": "\#(token)"}"# }
}

/// A websocket client written frame by frame over a plain socket, for what a library client never sends:
/// fragments, a bare continuation, a ping whose answer is checked, a close with a given code, and frames that break
/// RFC 6455 (unmasked, reserved bits set, an unknown opcode, any payload). Its socket calls block, so they run on a
/// dispatch thread, never on one of the few threads that run the server's tasks.
final class RawWebSocket: Sendable {
    struct Frame: Equatable {
        let opcode: WebSocketOpcode
        let payload: [UInt8]

        var text: String { String(decoding: payload, as: UTF8.self) }
        /// The status code of a close frame, nil when its payload has none.
        var closeCode: UInt16? {
            guard opcode == .connectionClose, payload.count >= 2 else { return nil }
            return UInt16(payload[0]) << 8 | UInt16(payload[1])
        }
    }

    private let connection: RawConnection

    /// Connects and completes the upgrade handshake; `withRequest` (frames, say) is sent in the same write as the
    /// upgrade request, before its answer.
    static func connect(port: Int, path: String, withRequest: [UInt8] = []) async throws -> RawWebSocket {
        try await blocking { try RawWebSocket(port: port, path: path, withRequest: withRequest) }
    }

    private init(port: Int, path: String, withRequest: [UInt8]) throws {
        connection = try RawConnection(port: port)
        connection.setReceiveTimeout(seconds: 10)
        let request =
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Accept: application/json\r\n\r\n"
        try connection.write(bytes: Array(request.utf8) + withRequest)
        let head = try connection.receiveHead()
        guard head.hasPrefix("HTTP/1.1 101") else { throw RuleViolation("upgrade refused or unanswered: \(head)") }
    }

    /// Sends one frame (payloads under 126 bytes): masked unless `masked` is false, with the reserved bits `rsv`
    /// (RSV1 is 4, RSV2 2, RSV3 1).
    func send(
        _ opcode: WebSocketOpcode, _ payload: some Collection<UInt8>, fin: Bool = true, masked: Bool = true,
        rsv: UInt8 = 0
    ) throws {
        try connection.write(bytes: Self.frame(opcode, payload, fin: fin, masked: masked, rsv: rsv))
    }

    /// The bytes of one client frame (payloads under 126 bytes), as `send` writes them.
    static func frame(
        _ opcode: WebSocketOpcode, _ payload: some Collection<UInt8>, fin: Bool = true, masked: Bool = true,
        rsv: UInt8 = 0
    ) -> [UInt8] {
        precondition(payload.count < 126 && rsv < 8)
        let first: UInt8 = (fin ? 0x80 : 0) | rsv << 4 | UInt8(webSocketOpcode: opcode)
        guard masked else { return [first, UInt8(payload.count)] + Array(payload) }
        let mask: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]
        let maskedPayload = payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return [first, 0x80 | UInt8(payload.count)] + mask + maskedPayload
    }

    /// The next frame from the server, skipping text frames when asked (heartbeats); nil once it has closed.
    func receive(skippingText: Bool = false) async throws -> Frame? {
        try await blocking { try self.receiveNow(skippingText: skippingText) }
    }

    /// Every frame up to and with the server's close frame, for at most `limit` (an open stream gets heartbeats,
    /// so without a close the reads would go on).
    func framesUntilClose(within limit: Duration = .seconds(60)) async throws -> [Frame] {
        var frames: [Frame] = []
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, let frame = try await receive() {
            frames.append(frame)
            if frame.opcode == .connectionClose { break }
        }
        return frames
    }

    private func receiveNow(skippingText: Bool) throws -> Frame? {
        while true {
            guard let header = try connection.receive(exactly: 2) else { return nil }
            var length = Int(header[1] & 0x7f)
            if length == 126 {
                guard let extended = try connection.receive(exactly: 2) else { return nil }
                length = Int(extended[0]) << 8 | Int(extended[1])
            }
            guard let opcode = WebSocketOpcode(encodedWebSocketOpcode: header[0] & 0x0f),
                let payload = try connection.receive(exactly: length)
            else { return nil }
            if skippingText && opcode == .text { continue }
            return Frame(opcode: opcode, payload: payload)
        }
    }
}

/// Runs a blocking call on a thread of its own, never on one of the few threads that run the tasks.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    // A thread of its own for each call: Dispatch's global queues have about as many threads as cores here, and
    // calls that block in recv for seconds would queue behind each other when many sockets wait at once.
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A websocket handshake request over plain HTTP, expected to be refused before the upgrade.
func upgradeAttempt(
    _ port: Int, _ path: String, accept: String? = "application/json", origin: String? = nil
) async throws -> (status: UInt, message: String) {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
    request.headers.add(name: "Upgrade", value: "websocket")
    request.headers.add(name: "Connection", value: "Upgrade")
    request.headers.add(name: "Sec-WebSocket-Version", value: "13")
    request.headers.add(name: "Sec-WebSocket-Key", value: "dGhlIHNhbXBsZSBub25jZQ==")
    if let accept { request.headers.add(name: "Accept", value: accept) }
    if let origin { request.headers.add(name: "Origin", value: origin) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 1 << 16)
    let json = try? JSONValue.parse(body.readableBytesView)
    return (response.status.code, json?["errorMessage"]?.stringValue ?? "")
}
