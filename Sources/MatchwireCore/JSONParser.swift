/// Reads JSON text (RFC 8259) into a `JSONValue`, strictly, in one pass: linear in the length of the text.
///
/// Written by hand rather than with `JSONDecoder` so that any valid number is read (as its text, `JSONNumber`),
/// so that a refusal is a sentence with the byte where it happened, never the decoder's internals, and so that
/// nesting is bounded before it costs anything.
///
/// Beyond the grammar: the text must be UTF-8 (RFC 8259 §8.1); a byte order mark is not skipped. Three things
/// the grammar allows are refused, each with its own `JSONSyntaxError.Kind`: nesting deeper than
/// `JSONValue.maxDepth`, an object that has the same name twice (RFC 8259 §4 leaves its meaning open; this
/// service would have to drop one of the values without saying so), and a `\u` escape of half a surrogate pair
/// without its other half (§8.2: it is no character, and a Swift `String` cannot hold it).
struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The one value of the text, with nothing but white space around it.
    mutating func document() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        let result = try value()
        skipWhitespace()
        guard index == bytes.count else {
            throw malformed(
                "unexpected \(found(at: index)) at byte \(index) after the value (a JSON text is one value)", at: index)
        }
        return result
    }

    // MARK: Values

    /// Recursion is bounded: `array` and `object` call back here only below `JSONValue.maxDepth`.
    private mutating func value() throws(JSONSyntaxError) -> JSONValue {
        guard index < bytes.count else { throw unexpected("a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try number())
        default:
            throw unexpected("a value")
        }
    }

    private mutating func literal(_ word: String) throws(JSONSyntaxError) {
        let expected = "'\(word)'"
        for byte in word.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw unexpected(expected) }
            index += 1
        }
    }

    private mutating func array() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            skipWhitespace()
            guard index < bytes.count else { throw unexpected("',' or ']'") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(elements)
            default:
                throw unexpected("',' or ']'")
            }
        }
    }

    private mutating func object() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected("a name in quotes") }
            let nameOffset = index
            let name = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw unexpected("':'") }
            index += 1
            skipWhitespace()
            let member = try value()
            guard members.updateValue(member, forKey: name) == nil else {
                throw JSONSyntaxError(
                    kind: .duplicateName, offset: nameOffset,
                    predicate: "has the name \"\(Self.short(name))\" twice in one object (the second at byte "
                        + "\(nameOffset)); the names of an object must differ.")
            }
            skipWhitespace()
            guard index < bytes.count else { throw unexpected("',' or '}'") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(members)
            default:
                throw unexpected("',' or '}'")
            }
        }
    }

    /// Steps into an array or object (at its bracket), unless that would nest deeper than the limit.
    private mutating func enter() throws(JSONSyntaxError) {
        guard depth < JSONValue.maxDepth else {
            throw JSONSyntaxError(
                kind: .tooDeep, offset: index,
                predicate: "nests arrays and objects more than \(JSONValue.maxDepth) deep (at byte \(index)); "
                    + "at most \(JSONValue.maxDepth) levels are read.")
        }
        depth += 1
        index += 1
    }

    // MARK: Numbers

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as its text.
    private mutating func number() throws(JSONSyntaxError) -> JSONNumber {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, Self.isDigit(bytes[index]) else { throw unexpected("a digit") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, Self.isDigit(bytes[index]) {
                throw malformed("the number at byte \(start) starts with a zero followed by more digits", at: start)
            }
        } else {
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, Self.isDigit(bytes[index]) else {
                throw unexpected("a digit after the decimal point")
            }
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw unexpected("a digit of the exponent") }
            skipDigits()
        }
        return JSONNumber(unchecked: String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func skipDigits() {
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    // MARK: Strings

    /// A string, at its opening quote. Bytes without escapes are taken as they are, once checked to be UTF-8.
    private mutating func string() throws(JSONSyntaxError) -> String {
        let start = index
        index += 1
        var segment = index
        var unescaped: [UInt8] = []
        var escaped = false
        while true {
            guard index < bytes.count else {
                throw malformed("the string that starts at byte \(start) is not closed", at: start)
            }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let text: String
                if escaped {
                    unescaped.append(contentsOf: bytes[segment..<index])
                    text = String(decoding: unescaped, as: UTF8.self)
                } else {
                    text = String(decoding: bytes[segment..<index], as: UTF8.self)
                }
                index += 1
                return text
            case UInt8(ascii: "\\"):
                unescaped.append(contentsOf: bytes[segment..<index])
                try escape(into: &unescaped)
                segment = index
                escaped = true
            case 0..<0x20:
                throw malformed(
                    "control character 0x\(Self.hex(byte)) at byte \(index) in a string; write it as an escape",
                    at: index)
            case 0..<0x80:
                index += 1
            default:
                try skipMultibyteCharacter()
            }
        }
    }

    /// One escape, at its backslash: its character is appended to `buffer` as UTF-8.
    private mutating func escape(into buffer: inout [UInt8]) throws(JSONSyntaxError) {
        let start = index
        guard index + 1 < bytes.count else {
            throw malformed("it ends at byte \(bytes.count) inside an escape", at: bytes.count)
        }
        let code = bytes[index + 1]
        index += 2
        switch code {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(code)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hexUnit(escapeAt: start)
            var scalar = unit
            if (0xDC00...0xDFFF).contains(unit) {
                throw loneSurrogate(unit, at: start)
            }
            if (0xD800...0xDBFF).contains(unit) {
                // Only a low surrogate may follow, as a second escape.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw loneSurrogate(unit, at: start) }
                let second = index
                index += 2
                let low = try hexUnit(escapeAt: second)
                guard (0xDC00...0xDFFF).contains(low) else { throw loneSurrogate(unit, at: start) }
                scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            }
            Self.appendUTF8(scalar, to: &buffer)
        default:
            let shown = Self.printable(code).map { "'\\\($0)'" } ?? "\\ followed by byte 0x\(Self.hex(code))"
            throw malformed("invalid escape \(shown) at byte \(start) in a string", at: start)
        }
    }

    /// The four hexadecimal digits of a `\u` escape, at `index`.
    private mutating func hexUnit(escapeAt start: Int) throws(JSONSyntaxError) -> UInt32 {
        var unit: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count, let digit = Self.hexDigit(bytes[index]) else {
                throw malformed("the escape \\u at byte \(start) needs four hexadecimal digits", at: start)
            }
            unit = unit << 4 | digit
            index += 1
        }
        return unit
    }

    private func loneSurrogate(_ unit: UInt32, at offset: Int) -> JSONSyntaxError {
        JSONSyntaxError(
            kind: .loneSurrogate, offset: offset,
            predicate: "holds the escape \\u\(Self.hex(UInt8(unit >> 8)))\(Self.hex(UInt8(unit & 0xFF))) at byte "
                + "\(offset), half of a surrogate pair without its other half, which is no character.")
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private static func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(UInt8(0xC0 | scalar >> 6))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            buffer.append(UInt8(0xE0 | scalar >> 12))
            buffer.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        default:
            buffer.append(UInt8(0xF0 | scalar >> 18))
            buffer.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            buffer.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// One character of two to four bytes, at its first byte, checked to be well-formed UTF-8 (Unicode table
    /// 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
    private mutating func skipMultibyteCharacter() throws(JSONSyntaxError) {
        let start = index
        let lead = bytes[index]
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            second = 0x80...0x9F
        case 0xF0:
            length = 4
            second = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            second = 0x80...0x8F
        default:
            throw malformed("byte 0x\(Self.hex(lead)) at byte \(start) in a string is not UTF-8", at: start)
        }
        for position in start + 1..<start + length {
            let range = position == start + 1 ? second : 0x80...0xBF
            guard position < bytes.count, range.contains(bytes[position]) else {
                throw malformed("the bytes at byte \(start) in a string are not UTF-8", at: start)
            }
        }
        index = start + length
    }

    // MARK: Refusals

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    private func malformed(_ detail: String, at offset: Int) -> JSONSyntaxError {
        JSONSyntaxError(kind: .malformed, offset: offset, predicate: "is not valid JSON: \(detail).")
    }

    /// What is at `index` is not what the grammar allows there.
    private func unexpected(_ expected: String) -> JSONSyntaxError {
        guard index < bytes.count else {
            return malformed("it ends at byte \(index) where \(expected) was expected", at: index)
        }
        return malformed("unexpected \(found(at: index)) at byte \(index) where \(expected) was expected", at: index)
    }

    private func found(at position: Int) -> String {
        let byte = bytes[position]
        if let character = Self.printable(byte) { return "character '\(character)'" }
        if byte < 0x80 { return "control character 0x\(Self.hex(byte))" }
        return "byte 0x\(Self.hex(byte))"
    }

    private static func printable(_ byte: UInt8) -> String? {
        (0x20...0x7E).contains(byte) ? String(Character(Unicode.Scalar(byte))) : nil
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }

    /// A name for a sentence, at most 40 characters.
    private static func short(_ name: String) -> String {
        name.count <= 40 ? name : "\(name.prefix(40))…"
    }
}

/// Bytes that are not a JSON text this service reads, with the byte where reading stopped (from 0).
///
/// Most are malformed JSON (`.malformed`: a request answers 400). The other kinds are valid by RFC 8259's grammar
/// but refused on purpose (a request answers 422): see `JSONParser`.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not JSON by the grammar, or not UTF-8.
        case malformed
        /// Arrays and objects nested more than `JSONValue.maxDepth` deep.
        case tooDeep
        /// An object with the same name twice.
        case duplicateName
        /// A `\u` escape of half a surrogate pair without its other half.
        case loneSurrogate
    }

    public let kind: Kind
    /// The byte, counted from 0, where the text was refused.
    public let offset: Int
    /// The sentence without its subject: `is not valid JSON: unexpected character '}' at byte 42 where ...`.
    let predicate: String

    /// The refusal as a sentence about what was read: `The body is not valid JSON: ...`.
    public func sentence(about subject: String) -> String {
        "\(subject) \(predicate)"
    }

    public var description: String { sentence(about: "The text") }
}
