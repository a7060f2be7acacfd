import Hummingbird

/// Checks of single query parameters, shared by the fixtures list and the streams.
enum QueryParameter {
    /// The value of a parameter that may be given once, or nil when it is absent. Given twice, it is a 400: which
    /// of two values a client meant is not for the server to guess.
    static func single(_ parameters: Parameters, _ name: String) throws -> Substring? {
        let values = parameters[values: Substring(name)]
        guard values.count <= 1 else {
            throw APIError(.badRequest, "Query parameter '\(name)' is given \(values.count) times; give it once.")
        }
        return values.first
    }

    /// A whole number within `range`, written in decimal digits only (no sign, no space), or nil when the
    /// parameter is absent. Anything else is a 400 naming it.
    static func integer(_ parameters: Parameters, _ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let value = try single(parameters, name) else { return nil }
        guard !value.isEmpty, value.count <= 18, value.allSatisfy({ $0.isASCII && $0.isNumber }),
            let number = Int(value), range.contains(number)
        else {
            throw APIError(
                .badRequest,
                "Query parameter '\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return number
    }
}
