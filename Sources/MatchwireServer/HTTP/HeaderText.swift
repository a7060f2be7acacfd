extension StringProtocol where SubSequence == Substring {
    /// The text without the optional whitespace HTTP allows around list elements and parameters (spaces and tabs,
    /// RFC 9110 §5.6.3). Over the UTF-8 bytes: Foundation's `trimmingCharacters(in:)` goes through `NSString`, and
    /// cost several microseconds per request in the stream connect's profile.
    var trimmingHTTPWhitespace: Substring {
        let text = self[...]
        let isWhitespace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = text.utf8.firstIndex(where: { !isWhitespace($0) }),
            let last = text.utf8.lastIndex(where: { !isWhitespace($0) })
        else { return text[text.endIndex...] }
        return text[first...last]
    }
}

extension StringProtocol where SubSequence == Substring {
    /// The elements of this comma-separated header value (RFC 9110 §5.6.1; or of another `separator`, such as a
    /// media type's `;`), each without its optional whitespace, empty elements skipped: read without an allocation
    /// (`HTTPHeaders[canonicalForm:]` makes an array and the checks then lowercased copies, a dozen allocations per
    /// stream connect).
    func forEachHTTPListElement(separatedBy separator: UInt8 = UInt8(ascii: ","), _ body: (Substring) -> Void) {
        var rest = self[...]
        while !rest.isEmpty {
            let (element, after) = rest.splitOnce(at: separator)
            let trimmed = element.trimmingHTTPWhitespace
            if !trimmed.isEmpty { body(trimmed) }
            rest = after
        }
    }

    /// The text before the first `separator` and the text after it (all of it and nothing when there is none).
    func splitOnce(at separator: UInt8) -> (before: Substring, after: Substring) {
        // An ASCII separator is a whole character: the slice after it always moves on (after a byte inside a
        // character it would round back, and a loop over the rest would never end).
        precondition(separator < 0x80, "an HTTP separator is ASCII")
        let text = self[...]
        guard let found = text.utf8.firstIndex(of: separator) else { return (text, text[text.endIndex...]) }
        return (text[..<found], text[text.utf8.index(after: found)...])
    }

    /// Whether the text equals `other` with ASCII letters compared case-insensitively (header names, tokens).
    func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        let lowered = { (byte: UInt8) in byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte }
        return utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { lowered($0) == lowered($1) }
    }
}
