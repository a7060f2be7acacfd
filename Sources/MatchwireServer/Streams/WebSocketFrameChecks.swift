import NIOCore
import NIOWebSocket

/// Checks every client frame as RFC 6455 requires, between SwiftNIO's frame decoder and its aggregator.
///
/// NIO's decoder refuses only what it cannot frame (a control frame fragmented or longer than 125 bytes, a frame
/// over the size limit), and its aggregator only what it cannot join. Everything else RFC 6455 asks of a server is
/// checked here, before and after the auth message alike:
/// - a client frame is masked (§5.1), its RSV1-3 bits are zero (no extension is negotiated, §5.2), and its opcode is
///   one of the six defined (§5.2);
/// - fragments come in order (§5.4): a continuation only inside a message, a text or binary frame only outside one;
///   control frames may come between the fragments;
/// - a close frame's payload is empty, or a status code a peer may send followed by a UTF-8 reason (§5.5.1, §7.4);
/// - a text message is UTF-8 (§8.1). It is checked fragment by fragment, so a character split between two fragments
///   is accepted and an invalid byte fails the connection as soon as it arrives.
///
/// A violation goes on as a ``Violation`` error (to ``StreamConnection``, which fails the connection with 1002 or
/// 1007), and no frame after it is passed on: an endpoint that fails a connection reads nothing more of it (§7.1.7).
final class WebSocketFrameChecks: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    /// A client frame that breaks the protocol.
    enum Violation: Error, Equatable, CustomStringConvertible {
        /// Framing, opcode, fragment order or close payload: 1002.
        case protocolError(String)
        /// A text message or a close reason that is not UTF-8: 1007.
        case invalidUTF8(String)

        /// How the stream ends for it.
        var streamEnd: StreamEnd {
            switch self {
            case .protocolError: .protocolError
            case .invalidUTF8: .invalidPayload
            }
        }

        var description: String {
            switch self {
            case .protocolError(let what): "websocket protocol error: \(what)"
            case .invalidUTF8(let what): "invalid UTF-8 in \(what)"
            }
        }
    }

    /// The data message the next continuation frame belongs to.
    private enum Message {
        /// None: the next data frame must be a text or binary frame.
        case idle
        /// A text message, with the UTF-8 check of its fragments so far.
        case text(UTF8Validator)
        case binary
    }

    private var message = Message.idle
    /// A violation was passed on: nothing more is.
    private var failed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        if let violation = check(unwrapInboundIn(data)) {
            failed = true
            message = .idle
            context.fireErrorCaught(violation)
            return
        }
        context.fireChannelRead(data)
    }

    /// Checks one frame, and follows the message it belongs to; nil when it is in order.
    private func check(_ frame: WebSocketFrame) -> Violation? {
        guard let maskKey = frame.maskKey else { return .protocolError("unmasked client frame") }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else { return .protocolError("reserved bit set") }
        switch frame.opcode {
        case .text:
            guard case .idle = message else { return .protocolError("text frame inside a fragmented message") }
            return checkText(frame, mask: maskKey, validator: UTF8Validator())
        case .binary:
            guard case .idle = message else { return .protocolError("binary frame inside a fragmented message") }
            if !frame.fin { message = .binary }
            return nil
        case .continuation:
            switch message {
            case .idle:
                return .protocolError("continuation frame with no message to continue")
            case .binary:
                if frame.fin { message = .idle }
                return nil
            case .text(let validator):
                return checkText(frame, mask: maskKey, validator: validator)
            }
        case .connectionClose:
            return Self.checkClose(payload: frame.unmaskedData)
        case .ping, .pong:
            return nil
        default:
            return .protocolError("unknown opcode \(UInt8(webSocketOpcode: frame.opcode))")
        }
    }

    /// Goes on with the UTF-8 check of a text message: a fragment may end inside a character, the last may not.
    private func checkText(_ frame: WebSocketFrame, mask: WebSocketMaskingKey, validator: UTF8Validator)
        -> Violation?
    {
        var validator = validator
        guard validator.validate(frame.data, mask: mask) else { return .invalidUTF8("a text message") }
        guard frame.fin else {
            message = .text(validator)
            return nil
        }
        message = .idle
        guard validator.isComplete else { return .invalidUTF8("a text message (it ends inside a character)") }
        return nil
    }

    /// A close frame's payload (unmasked): empty, or a code a peer may send and a UTF-8 reason.
    static func checkClose(payload: ByteBuffer) -> Violation? {
        var payload = payload
        guard payload.readableBytes > 0 else { return nil }
        guard let code = payload.readInteger(as: UInt16.self) else { return .protocolError("close payload of 1 byte") }
        guard isValidCloseCode(code) else { return .protocolError("close code \(code)") }
        var validator = UTF8Validator()
        guard validator.validate(payload, mask: nil), validator.isComplete else {
            return .invalidUTF8("a close reason")
        }
        return nil
    }

    /// Whether a peer may send `code` in a close frame: the codes RFC 6455 §7.4.1 defines and the IANA registry
    /// adds (1012 to 1014), except 1004 (reserved) and 1005, 1006 and 1015 (never sent in a frame); and 3000 to 4999,
    /// the codes of libraries and applications. Every other code is reserved or unused.
    static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}

/// An incremental UTF-8 check: the well-formed byte sequences of the Unicode Standard (table 3-7), so no overlong
/// form, no surrogate and nothing above U+10FFFF. A character may be split between two calls of `validate`.
struct UTF8Validator: Equatable {
    /// The continuation bytes still expected in the current character.
    private var remaining = 0
    /// The range of the next continuation byte: narrower than 80...BF only right after E0, ED, F0 and F4.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Whether everything so far ends at a character boundary.
    var isComplete: Bool { remaining == 0 }

    /// Checks the readable bytes of `buffer`, unmasked with `mask` when there is one; false at the first byte that
    /// cannot go on a well-formed UTF-8 text.
    mutating func validate(_ buffer: ByteBuffer, mask: WebSocketMaskingKey?) -> Bool {
        let key: WebSocketMaskingKey = mask ?? [0, 0, 0, 0]
        var index = 0
        for byte in buffer.readableBytesView {
            guard feed(byte ^ key[index & 3]) else { return false }
            index += 1
        }
        return true
    }

    /// Checks the bytes as they are.
    mutating func validate(_ bytes: some Sequence<UInt8>) -> Bool {
        for byte in bytes {
            guard feed(byte) else { return false }
        }
        return true
    }

    private mutating func feed(_ byte: UInt8) -> Bool {
        if remaining > 0 {
            guard byte >= lower, byte <= upper else { return false }
            remaining -= 1
            lower = 0x80
            upper = 0xBF
            return true
        }
        switch byte {
        case 0x00...0x7F:
            return true
        case 0xC2...0xDF:
            remaining = 1
        case 0xE0:
            remaining = 2
            lower = 0xA0  // not overlong
        case 0xE1...0xEC, 0xEE...0xEF:
            remaining = 2
        case 0xED:
            remaining = 2
            upper = 0x9F  // not a surrogate
        case 0xF0:
            remaining = 3
            lower = 0x90  // not overlong
        case 0xF1...0xF3:
            remaining = 3
        case 0xF4:
            remaining = 3
            upper = 0x8F  // not above U+10FFFF
        default:
            // A continuation byte with no lead byte, C0 and C1 (always overlong), F5 to FF.
            return false
        }
        return true
    }
}
