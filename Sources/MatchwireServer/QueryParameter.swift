import Hummingbird

/// Checks of single query parameters, shared by the fixtures list and the streams.
enum QueryParameter {
    /// A whole number within `range`, or nil when the parameter is absent. Anything else is a 400 naming it.
    static func integer(_ value: Substring?, name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let value else { return nil }
        guard let number = Int(value), range.contains(number) else {
            throw APIError(
                .badRequest,
                "Query parameter '\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return number
    }
}
