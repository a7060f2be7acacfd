import Foundation

/// `period + fixtureSeqNum × 10⁻¹⁶`: sorts a finished fixture's packets by period, then by arrival.
///
/// Kept as two integers and written as text with exactly 16 decimals (`1.0000000000000004`), never through
/// a binary float, which cannot hold 17 significant digits.
public struct TimelineSequence: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let period: Int
    public let fixtureSeqNum: Int

    /// The largest sequence number that still fits in 16 decimals.
    public static let maximumSeqNum = 9_999_999_999_999_999

    public init(period: Int, fixtureSeqNum: Int) {
        precondition(period >= 0 && (0...Self.maximumSeqNum).contains(fixtureSeqNum))
        self.period = period
        self.fixtureSeqNum = fixtureSeqNum
    }

    /// Reads the number as sent by the feed, in either notation (`1.0000000000000004`, `2.0E-16`).
    public init?(_ value: Decimal) {
        guard value >= 0 else { return nil }
        var whole = Decimal()
        var copy = value
        NSDecimalRound(&whole, &copy, 0, .down)
        let fraction = (value - whole) * Decimal(sign: .plus, exponent: 16, significand: 1)
        var roundedFraction = Decimal()
        var fractionCopy = fraction
        NSDecimalRound(&roundedFraction, &fractionCopy, 0, .plain)
        guard roundedFraction == fraction else { return nil }
        let period = NSDecimalNumber(decimal: whole).intValue
        let seq = NSDecimalNumber(decimal: fraction).int64Value
        guard seq <= Self.maximumSeqNum else { return nil }
        self.init(period: period, fixtureSeqNum: Int(seq))
    }

    public var description: String {
        "\(period)." + Timestamp.pad(fixtureSeqNum, 16)
    }

    public static func < (lhs: TimelineSequence, rhs: TimelineSequence) -> Bool {
        (lhs.period, lhs.fixtureSeqNum) < (rhs.period, rhs.fixtureSeqNum)
    }
}
