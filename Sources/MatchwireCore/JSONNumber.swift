import Foundation

/// A JSON number kept as the text it was sent as.
///
/// RFC 8259 puts no bound on a number's size or precision, so `1e308`, `5e-324` and an integer of 400 digits
/// are all valid JSON. Holding the text rather than a `Double` or `Decimal` means any valid number can be read,
/// and free-form values (`metadata`) are written back byte for byte as the scout sent them. Fields that need a
/// machine number ask for one (`int`, `double`, `decimal`) and refuse the value in a sentence when there is none.
///
/// Two numbers are equal when they are the same number, whatever their spelling: `1`, `1.0`, `10e-1` and `1E+0`
/// are equal, and so are `0` and `-0`. That is what comparisons of packets and submissions need (the reference
/// feed writes `1.0E-16` where this service writes `0.0000000000000001`). The text stays as sent either way.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number's text, valid by RFC 8259's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    public let text: String

    /// A number the parser has already checked.
    init(unchecked text: String) {
        self.text = text
    }

    /// The number written as `text`; nil unless `text` is exactly one JSON number, without white space.
    public init?(_ text: String) {
        guard case .number(let number)? = try? JSONValue.parse(Array(text.utf8)), number.text == text else {
            return nil
        }
        self = number
    }

    public init(_ value: Int) {
        text = String(value)
    }

    /// The shortest text that reads back as `value`; nil for infinities and NaN, which JSON cannot write.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        self.init(value.description)
    }

    /// The decimal's exact text; nil for NaN.
    public init?(exactly value: Decimal) {
        guard !value.isNaN else { return nil }
        self.init(value.description)
    }

    public var description: String { text }

    /// The value as an `Int`, when it is a whole number within `Int`'s range, however it is written: `3`, `3.0`,
    /// `30e-1` and `0.3E1` are all 3, and `-0` is 0. Nil for a fraction (`1.5`) and for whole numbers beyond 64
    /// bits (`1e308`, `9223372036854775808`): `isWhole` tells those apart.
    public var int: Int? {
        if let plain = Int(text) { return plain }
        let value = canonical
        guard !value.digits.isEmpty else { return 0 }
        guard let point = Int(value.point), point >= value.digits.count, point <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for digit in value.digits { magnitude = magnitude * 10 + UInt64(digit - Self.zero) }
        for _ in value.digits.count..<point {
            let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            magnitude = product
        }
        if value.negative {
            if magnitude == UInt64(Int.max) + 1 { return Int.min }
            return magnitude <= UInt64(Int.max) ? -Int(magnitude) : nil
        }
        return magnitude <= UInt64(Int.max) ? Int(magnitude) : nil
    }

    /// Whether the value is a whole number, of any size: true for `3`, `3.0`, `1e308`, false for `1.5`, `1e-400`.
    public var isWhole: Bool {
        let value = canonical
        guard !value.digits.isEmpty else { return true }
        guard let point = Int(value.point) else { return !value.point.hasPrefix("-") }
        return point >= value.digits.count
    }

    /// The nearest `Double`; nil when the magnitude is beyond `Double`'s range (`1e400`, an integer of 400 digits).
    /// A value too small for `Double` (`1e-400`) gives zero.
    public var double: Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// The value as a `Decimal`, when a `Decimal` holds it exactly (at most 38 significant digits, and an
    /// exponent Decimal can write); nil otherwise, never a rounded value.
    public var decimal: Decimal? {
        let value = canonical
        guard !value.digits.isEmpty else { return Decimal(0) }
        guard value.digits.count <= 38, let point = Int(value.point) else { return nil }
        // The digits as an integer, times 10 to this power.
        let exponent = point - value.digits.count
        guard (-128...127).contains(exponent) else { return nil }
        let plain = (value.negative ? "-" : "") + String(decoding: value.digits, as: UTF8.self) + "e\(exponent)"
        guard let decimal = Decimal(string: plain), !decimal.isNaN, JSONNumber(exactly: decimal) == self else {
            return nil
        }
        return decimal
    }

    /// The text for a sentence: as it is up to 24 characters, else its start and its length.
    var shortText: String {
        text.count <= 24 ? text : "\(text.prefix(12))… (\(text.count) characters)"
    }

    // MARK: Equality by value

    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        lhs.text == rhs.text || lhs.canonical == rhs.canonical
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonical)
    }

    /// The value in one spelling: `0.d₁d₂…dₙ × 10^point`, with d₁ and dₙ not zero. Zero is no digits, point 0,
    /// not negative.
    private struct Canonical: Hashable {
        var negative: Bool
        var digits: [UInt8]
        /// Decimal text of the exponent, exact whatever its length.
        var point: String
    }

    private static let zero = UInt8(ascii: "0")
    private static let nine = UInt8(ascii: "9")

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= zero && byte <= nine }

    private var canonical: Canonical {
        let bytes = Array(text.utf8)
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { index = 1 }
        var digits: [UInt8] = []
        // Where the point is, counted from the first significant digit: +1 for each significant digit before
        // the decimal point, -1 for each zero between the point and the first significant digit.
        var shift = 0
        while index < bytes.count, Self.isDigit(bytes[index]) {
            if !(digits.isEmpty && bytes[index] == Self.zero) {
                digits.append(bytes[index])
                shift += 1
            }
            index += 1
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, Self.isDigit(bytes[index]) {
                if digits.isEmpty && bytes[index] == Self.zero {
                    shift -= 1
                } else {
                    digits.append(bytes[index])
                }
                index += 1
            }
        }
        while digits.last == Self.zero { digits.removeLast() }
        guard !digits.isEmpty else { return Canonical(negative: false, digits: [], point: "0") }

        var exponentNegative = false
        var exponent: ArraySlice<UInt8> = []
        if index < bytes.count {  // `e` or `E`
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            exponent = bytes[index...].drop { $0 == Self.zero }
        }
        return Canonical(
            negative: negative, digits: digits, point: Self.sum(exponent, negative: exponentNegative, plus: shift))
    }

    /// `±exponent + shift` as decimal text, exact for an exponent of any length. `shift` is at most the length
    /// of the number's text, far below 10¹⁷, so an exponent of 18 digits or more keeps its sign, and only its
    /// last 18 digits change (with a carry or a borrow into the rest).
    private static func sum(_ exponent: ArraySlice<UInt8>, negative: Bool, plus shift: Int) -> String {
        if exponent.count <= 17 {
            let magnitude = exponent.reduce(0) { $0 * 10 + Int($1 - Self.zero) }
            return String((negative ? -magnitude : magnitude) + shift)
        }
        let base = 1_000_000_000_000_000_000
        var high = Array(exponent.dropLast(18))
        var low = exponent.suffix(18).reduce(0) { $0 * 10 + Int($1 - Self.zero) } + (negative ? -shift : shift)
        if low >= base {
            low -= base
            var position = high.count - 1
            while position >= 0, high[position] == Self.nine {
                high[position] = Self.zero
                position -= 1
            }
            if position >= 0 { high[position] += 1 } else { high.insert(UInt8(ascii: "1"), at: 0) }
        } else if low < 0 {
            low += base
            var position = high.count - 1
            while position >= 0, high[position] == Self.zero {
                high[position] = Self.nine
                position -= 1
            }
            if position >= 0 { high[position] -= 1 }
        }
        let lowText = String(low)
        let whole = String(decoding: high, as: UTF8.self) + String(repeating: "0", count: 18 - lowText.count) + lowText
        let stripped = whole.drop { $0 == "0" }
        let magnitude = stripped.isEmpty ? "0" : String(stripped)
        return negative ? "-" + magnitude : magnitude
    }
}
