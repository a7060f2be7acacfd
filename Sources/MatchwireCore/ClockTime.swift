/// A match clock reading, written `"mm:ss"`; minutes may exceed 59 (`"91:51"`).
public struct ClockTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let seconds: Int

    public static let zero = ClockTime(seconds: 0)

    public init(seconds: Int) {
        self.seconds = max(0, seconds)
    }

    public init(minutes: Int, seconds: Int = 0) {
        self.init(seconds: minutes * 60 + seconds)
    }

    /// Parses `m:ss` or `mm:ss` (minutes 0 to 999, seconds 00 to 59). Returns nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...3).contains(parts[0].count), parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let minutes = Int(parts[0]), let seconds = Int(parts[1]), seconds < 60
        else { return nil }
        self.init(seconds: minutes * 60 + seconds)
    }

    public var description: String {
        Timestamp.pad(seconds / 60, 2) + ":" + Timestamp.pad(seconds % 60, 2)
    }

    public static func < (lhs: ClockTime, rhs: ClockTime) -> Bool { lhs.seconds < rhs.seconds }
}
