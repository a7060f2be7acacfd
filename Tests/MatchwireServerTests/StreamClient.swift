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
    private let closeCodeBox = Mutex<WebSocketErrorCode?>(nil)

    var all: [Entry] { entries.withLock { $0 } }
    /// The data frames (packets), in arrival order.
    var packets: [JSONValue] { all.map(\.json).filter { $0["fixtureAction"] != nil } }
    var seqNums: [Int] { packets.compactMap { $0["fixtureAction"]?["fixtureSeqNum"]?.intValue } }
    /// The control messages (INFO, ERROR, heartbeats), in arrival order.
    var controls: [Entry] { all.filter { $0.json["level"] != nil } }
    var closeCode: WebSocketErrorCode? { closeCodeBox.withLock { $0 } }

    func append(_ text: String) {
        let json = (try? JSONValue.parse(Array(text.utf8))) ?? .null
        entries.withLock { $0.append(Entry(json: json, text: text, arrived: .now)) }
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
