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
    /// The stream's token was revoked while it was open: an ERROR message, then 1008.
    case revoked
    /// The subscriber fell a whole queue behind: 1013.
    case tooSlow
    /// The stored packets could not be read: 1011.
    case serverError
    /// The client's message was larger than ``StreamConnection/maximumClientFrame``: 1009.
    case messageTooLarge
    /// The client broke the websocket protocol (RFC 6455): an unmasked frame, a reserved bit set, an unknown opcode,
    /// a fragment out of place, a close frame whose payload is one byte or whose code may not be sent: 1002.
    case protocolError
    /// The client sent a text message, or a close reason, that is not UTF-8 (RFC 6455 §8.1): 1007.
    case invalidPayload
    /// The client closed or dropped the connection: nothing more to send.
    case clientClosed

    /// The close frame to send, nil when the connection is already gone.
    var closeFrame: (code: WebSocketErrorCode, reason: String)? {
        switch self {
        case .finished: (.normalClosure, "Fixture finished")
        case .goingAway: (.goingAway, "Server shutting down: resume with startPosition")
        case .authentication: (.policyViolation, "Authentication failed")
        case .revoked: (.policyViolation, "Token revoked")
        case .tooSlow: (.unknown(1013), "Subscriber too slow: resume with startPosition")
        case .serverError: (.unexpectedServerError, "Server error")
        case .messageTooLarge: (.messageTooLarge, "Message too large")
        case .protocolError: (.protocolError, "Protocol error")
        case .invalidPayload: (.dataInconsistentWithMessage, "Invalid UTF-8")
        case .clientClosed: nil
        }
    }

    /// The ERROR message sent just before the close frame, for a reason the client must be told in words.
    var errorMessage: String? {
        switch self {
        case .revoked: ControlMessage.error("The token of this stream was revoked.")
        default: nil
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
