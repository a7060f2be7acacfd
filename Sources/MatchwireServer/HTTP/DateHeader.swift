#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// The `Date` header of every answer (RFC 9110 §6.6.1), in the IMF-fixdate form (§5.6.7):
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// The text changes once a second, so it is made again only when the second has moved since the last answer: no
/// timer and no task, one clock reading and a lock per answer.
final class DateHeader: Sendable {
    /// The one every answer of the server takes its `Date` from.
    static let shared = DateHeader()
    /// The `Server` header of every answer.
    static let serverName = "matchwire"

    private let current: Mutex<(second: Int, text: String)>

    init() {
        let now = Self.second()
        current = Mutex((now, Self.imfFixdate(now)))
    }

    /// The value for an answer made now.
    var value: String {
        let now = Self.second()
        return current.withLock { current in
            if current.second != now { current = (now, Self.imfFixdate(now)) }
            return current.text
        }
    }

    private static func second() -> Int { Int(time(nil)) }

    /// The IMF-fixdate of a time in seconds since 1970 (UTC).
    static func imfFixdate(_ secondsSince1970: Int) -> String {
        var time = time_t(secondsSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(twoDigits(parts.tm_mday)) \(months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):\(twoDigits(parts.tm_sec)) GMT"
    }
}
