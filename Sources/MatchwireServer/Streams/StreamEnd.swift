import Foundation
import MatchwireCore
import NIOWebSocket

/// Why a stream ends. The one place that maps the reasons to websocket close codes (protocol.md §3).
enum StreamEnd: Sendable, Equatable {
    /// The packet with `finished: true` was sent: 1000.
    case finished
    /// The server is shutting down: 1001.
    case goingAway
    /// The auth exchange failed; the ERROR message has been sent: 1008.
    case authentication
    /// The subscriber fell a whole queue behind: 1013.
    case tooSlow
    /// The stored packets could not be read: 1011.
    case serverError
    /// The client's message was larger than ``StreamConnection/maximumClientFrame``: 1009.
    case messageTooLarge
    /// The client broke the websocket protocol (a fragment out of place): 1002.
    case protocolError
    /// The client closed or dropped the connection: nothing more to send.
    case clientClosed

    /// The close frame to send, nil when the connection is already gone.
    var closeFrame: (code: WebSocketErrorCode, reason: String)? {
        switch self {
        case .finished: (.normalClosure, "Fixture finished")
        case .goingAway: (.goingAway, "Server shutting down: resume with startPosition")
        case .authentication: (.policyViolation, "Authentication failed")
        case .tooSlow: (.unknown(1013), "Subscriber too slow: resume with startPosition")
        case .serverError: (.unexpectedServerError, "Server error")
        case .messageTooLarge: (.messageTooLarge, "Message too large")
        case .protocolError: (.protocolError, "Protocol error")
        case .clientClosed: nil
        }
    }
}

/// The INFO and ERROR messages a stream sends besides packets.
enum ControlMessage {
    static let accepted = info("Authorisation accepted")
    static let incorrectFormat = error("Authentication message had incorrect format")

    static func heartbeat(at time: Timestamp) -> String {
        info("Heartbeat sent at \(time.description)")
    }

    static func info(_ message: String) -> String { text(message, level: "INFO") }

    static func error(_ message: String) -> String { text(message, level: "ERROR") }

    private static func text(_ message: String, level: String) -> String {
        var writer = JSONWriter(reservingCapacity: 96)
        writer.beginObject()
        writer.key("message"); writer.string(message)
        writer.key("level"); writer.string(level)
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
