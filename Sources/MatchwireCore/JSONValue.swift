import Foundation

/// Any JSON value, kept exactly: numbers are held as their text (`JSONNumber`), so that a value read and written
/// back is the same bytes, never rounded through a binary float, whatever its size.
///
/// Used for the free-form parts of the protocol (`metadata`, rules objects) and to read request bodies
/// before they are checked field by field, so that every problem can be named in a sentence.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The deepest nesting of arrays and objects that `parse` reads. The deepest document of the protocol (an
    /// ingest array, an action, its metadata, a lineup's players) nests about 6 deep, so 64 refuses nothing real.
    /// The bound keeps every recursive walk of a value (parsing, comparing, hashing, writing, freeing) to a few
    /// hundred stack frames, so a hostile body of 100,000 `[` is refused at its 65th byte instead of costing a
    /// deep stack.
    public static let maxDepth = 64

    /// Parses JSON text (RFC 8259) strictly, in one pass. Throws `JSONSyntaxError`, with the byte, when the bytes
    /// are not one JSON value, or nest deeper than `maxDepth`, or repeat a name in an object, or escape half a
    /// surrogate pair (`JSONParser`).
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(Array(bytes))
        return try parser.document()
    }

    /// The member `key` of an object (nil elsewhere). Set on an object, it adds, replaces or (nil) removes the
    /// member; set on anything else, it changes nothing.
    public subscript(key: String) -> JSONValue? {
        get {
            if case .object(let members) = self { return members[key] }
            return nil
        }
        set {
            guard case .object(var members) = self else { return }
            members[key] = newValue
            self = .object(members)
        }
    }

    /// Element `index` of an array (nil elsewhere, or out of range). Set, it replaces an element that exists; it
    /// changes nothing else.
    public subscript(index: Int) -> JSONValue? {
        get {
            if case .array(let items) = self, items.indices.contains(index) { return items[index] }
            return nil
        }
        set {
            guard case .array(var items) = self, items.indices.contains(index), let newValue else { return }
            items[index] = newValue
            self = .array(items)
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The value as an integer, when it is a whole number that fits in `Int` (`JSONNumber.int`).
    public var intValue: Int? {
        if case .number(let value) = self { return value.int }
        return nil
    }

    public static func number(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }

    /// A short name of the JSON type, for error sentences.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Coding through `Decoder` and `Encoder`, for the records that go through them: the store's fixture records
/// (whose rules objects hold integers and booleans) and packets read back by `JSONDecoder`. A `Decoder` does not
/// hand over a number's text, so a number is read as an `Int`, else a `Decimal`, else a `Double`, and written the
/// same way: exact for integers and for numbers of up to 38 digits, rounded beyond. Packets whose metadata must
/// stay exact are read with `Packet.decode`, which takes the metadata from `parse`.
extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = Self.decodeNumber(container) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    private static func decodeNumber(_ container: any SingleValueDecodingContainer) -> JSONNumber? {
        if let value = try? container.decode(Int.self) { return JSONNumber(value) }
        if let value = try? container.decode(Decimal.self), let number = JSONNumber(exactly: value) { return number }
        if let value = try? container.decode(Double.self) { return JSONNumber(value) }
        return nil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if let integer = value.int {
                try container.encode(integer)
            } else if let decimal = value.decimal {
                try container.encode(decimal)
            } else if let double = value.double {
                try container.encode(double)
            } else {
                throw EncodingError.invalidValue(
                    value,
                    .init(
                        codingPath: encoder.codingPath,
                        debugDescription: "the number \(value.shortText) is beyond Double's range"))
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// Literals, so that metadata and rules objects read as JSON in code: `["count": 2]`.
extension JSONValue: ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral
{
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
