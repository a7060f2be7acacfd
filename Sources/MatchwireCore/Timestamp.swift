/// A UTC instant with microsecond resolution, as written in packets.
///
/// The feed writes `2025-05-20T08:25:59.674Z` (milliseconds) and, in older samples,
/// `2022-11-06T10:32:49.914282Z` (microseconds). A timestamp remembers how many fraction digits it was
/// written with so that a packet read and written again is the same text. Timestamps made by the server
/// have milliseconds.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microseconds: Int64
    /// Fraction digits used when written: 0, 3 or 6.
    public let fractionDigits: Int

    public init(microseconds: Int64, fractionDigits: Int = 3) {
        precondition([0, 3, 6].contains(fractionDigits), "fraction digits are 0, 3 or 6")
        let unit: Int64 = fractionDigits == 6 ? 1 : (fractionDigits == 3 ? 1000 : 1_000_000)
        self.microseconds = Self.floorDivide(microseconds, unit) * unit
        self.fractionDigits = fractionDigits
    }

    /// Milliseconds since the epoch, the resolution of server-made timestamps.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(microseconds: milliseconds * 1000, fractionDigits: 3)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    public static func == (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microseconds == rhs.microseconds && lhs.fractionDigits == rhs.fractionDigits
    }

    /// Whole seconds from `self` to `later`, rounded down, never negative.
    public func wholeSeconds(until later: Timestamp) -> Int {
        max(0, Int(Self.floorDivide(later.microseconds - microseconds, 1_000_000)))
    }

    /// Parses `yyyy-MM-ddTHH:mm:ss[.f+]Z` (1 to 9 fraction digits, `Z` or `+00:00`). Returns nil otherwise.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19,
            let year = Self.number(bytes, 0, 4), bytes[4] == UInt8(ascii: "-"),
            let month = Self.number(bytes, 5, 2), bytes[7] == UInt8(ascii: "-"),
            let day = Self.number(bytes, 8, 2), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
            let hour = Self.number(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"),
            let minute = Self.number(bytes, 14, 2), bytes[16] == UInt8(ascii: ":"),
            let second = Self.number(bytes, 17, 2),
            (1...12).contains(month), (1...Self.daysInMonth(year, month)).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        var digits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, let digit = Self.digit(bytes[index]) {
                if digits < 6 { fraction = fraction * 10 + Int64(digit) }
                digits += 1
                index += 1
            }
            guard (1...9).contains(digits) else { return nil }
            for _ in min(digits, 6)..<6 { fraction *= 10 }
        }
        let rest = String(decoding: bytes[index...], as: UTF8.self)
        guard rest == "Z" || rest == "+00:00" || rest == "+0000" else { return nil }
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(microseconds: seconds * 1_000_000 + fraction, fractionDigits: digits == 0 ? 0 : (digits <= 3 ? 3 : 6))
    }

    /// Parses the zone-less form used for fixture start times and period bounds, `yyyy-MM-ddTHH:mm:ss`, as UTC.
    public init?(localDateTime text: String) {
        guard text.utf8.count == 19, let parsed = Timestamp(iso8601: text + "Z") else { return nil }
        self.init(microseconds: parsed.microseconds, fractionDigits: 0)
    }

    /// `yyyy-MM-ddTHH:mm:ss.SSSZ` (or with the fraction digits it was read with).
    public var description: String {
        var text = dateTimeText
        if fractionDigits > 0 {
            let fraction = Self.floorModulo(microseconds, 1_000_000)
            let value = fractionDigits == 3 ? fraction / 1000 : fraction
            text += "." + Self.pad(Int(value), fractionDigits)
        }
        return text + "Z"
    }

    /// The same instant to the millisecond, written with three fraction digits as packets are.
    public var wholeMillisecond: Timestamp { Timestamp(microseconds: microseconds, fractionDigits: 3) }

    /// The same instant to the second, as period bounds and start times are written.
    public var wholeSecond: Timestamp { Timestamp(microseconds: microseconds, fractionDigits: 0) }

    /// `yyyy-MM-ddTHH:mm:ss`, no zone: the form of period bounds and fixture start times.
    public var dateTimeText: String {
        let seconds = Self.floorDivide(microseconds, 1_000_000)
        let days = Int(Self.floorDivide(seconds, 86_400))
        let secondOfDay = Int(Self.floorModulo(seconds, 86_400))
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        return "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))T"
            + "\(Self.pad(secondOfDay / 3600, 2)):\(Self.pad(secondOfDay / 60 % 60, 2)):\(Self.pad(secondOfDay % 60, 2))"
    }

    /// `yyyy-MM-dd`, the day this instant falls on in UTC.
    public var dateText: String { String(dateTimeText.prefix(10)) }

    // MARK: Calendar arithmetic (proleptic Gregorian, after H. Hinnant's civil date algorithms)

    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilDate(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ length: Int) -> Int? {
        var value = 0
        for index in start..<(start + length) {
            guard let digit = digit(bytes[index]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    private static func floorModulo(_ a: Int64, _ b: Int64) -> Int64 {
        a - floorDivide(a, b) * b
    }
}
