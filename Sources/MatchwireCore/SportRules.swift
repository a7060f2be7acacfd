import Foundation

/// An action ready to be folded into a match: checked against the catalogue and the fixture.
public struct ResolvedAction: Sendable, Hashable {
    public var definition: ActionDefinition
    public var subType: ActionSubType?
    public var team: TeamRef?
    public var player: PlayerRef?
    public var timestamp: Timestamp
    public var clockTime: ClockTime
    public var metadata: JSONValue?
    public var relatedActionIds: [UUID]

    public var side: Side? { team.map { $0.homeTeam ? .home : .away } }
}

/// The rules of one sport. Adding a sport is one type conforming to this protocol plus one `Sport` case.
///
/// Common actions (status, periods, clock, possession) are applied by `CommonRules`, which asks the sport
/// the questions only it can answer (may a period start or end, is the match decided) and hands it the
/// actions whose effect is `.sport`.
public protocol SportRules: Sendable {
    /// The sport's own actions, beyond the common ones.
    static var actions: [ActionDefinition] { get }

    /// Reads a fixture's rules object, filling in the defaults. Throws when a value is out of range.
    init(rulesObject: JSONValue?) throws(RuleViolation)

    /// The keys of the rules object as documented (the OpenAPI document's `<Sport>Rules` schema is made of them):
    /// each key's type, range, default and meaning. `RulesKeyTests` holds `init(rulesObject:)` to them.
    static var rulesKeys: [RulesKey] { get }

    /// The rules object with every default filled in, as served in the fixture object.
    var rulesObject: JSONValue { get }

    /// Type and label of period `number` (1-based).
    func period(_ number: Int, in state: MatchState) -> (type: PeriodType, label: String)

    /// Throws unless a new period may start now (no period is open is already checked).
    func checkStartPeriod(in state: MatchState) throws(RuleViolation)

    /// Throws unless the open period may end now.
    func checkEndPeriod(in state: MatchState) throws(RuleViolation)

    /// Throws unless the match is decided under the rules, so that End Fixture may be applied.
    func checkDecided(_ state: MatchState) throws(RuleViolation)

    /// The clock at the start of period `number`, and whether it counts down. Nil: the period has no clock
    /// (it shows 00:00, stopped, and clock actions change nothing).
    func clockStart(ofPeriod number: Int) -> (reading: ClockTime, countsDown: Bool)?

    /// Applies an action whose effect is `.sport`. Throws when the action is impossible at this point.
    func apply(_ action: ResolvedAction, to state: inout MatchState) throws(RuleViolation)

    /// What ending the open period does to the match beyond closing it (ice hockey: the shootout's deciding goal,
    /// +1 to the side ahead). Called once `checkEndPeriod` has passed, with the period still open, in the packet of
    /// the End Period. Default: nothing.
    func periodEnded(_ state: inout MatchState)
}

extension SportRules {
    public func periodEnded(_ state: inout MatchState) {}
}

/// One key of a sport's rules object, as documented: its values, its default and what it means.
public struct RulesKey: Sendable {
    public enum Values: Sendable, Equatable {
        case integer(ClosedRange<Int>)
        case integerOneOf([Int])
        case boolean
    }

    public let name: String
    public let values: Values
    public let defaultValue: JSONValue
    /// A sentence for people, without the default (the document adds it in brackets).
    public let meaning: String

    public static func integer(_ name: String, _ range: ClosedRange<Int>, default value: Int, _ meaning: String)
        -> RulesKey
    {
        RulesKey(name: name, values: .integer(range), defaultValue: .number(value), meaning: meaning)
    }

    public static func integer(_ name: String, oneOf values: [Int], default value: Int, _ meaning: String) -> RulesKey {
        RulesKey(name: name, values: .integerOneOf(values), defaultValue: .number(value), meaning: meaning)
    }

    public static func boolean(_ name: String, default value: Bool, _ meaning: String) -> RulesKey {
        RulesKey(name: name, values: .boolean, defaultValue: .bool(value), meaning: meaning)
    }
}

/// A fixture's rules object being read: each value checked, defaults filled in.
public struct RulesObject {
    private let object: [String: JSONValue]

    public init(_ value: JSONValue?) throws(RuleViolation) {
        guard let object = (value ?? .object([:])).objectValue else { throw RuleViolation("rules must be an object.") }
        self.object = object
    }

    /// The integer key `name` of a sport's `keys` (``SportRules/rulesKeys``): its value, within the key's range or
    /// among its values, or the key's default when absent. The key is the one place its rule is written.
    public func integer(_ name: String, of keys: [RulesKey]) throws(RuleViolation) -> Int {
        let key = Self.key(name, in: keys)
        guard let fallback = key.defaultValue.intValue else { preconditionFailure("rules.\(name) is not an integer") }
        guard let value = object[name] else { return fallback }
        switch key.values {
        case .integer(let range):
            guard let number = value.intValue, range.contains(number) else {
                throw RuleViolation("rules.\(name) must be an integer from \(range.lowerBound) to \(range.upperBound).")
            }
            return number
        case .integerOneOf(let allowed):
            guard let number = value.intValue, allowed.contains(number) else {
                throw RuleViolation("rules.\(name) must be \(Self.alternatives(allowed)).")
            }
            return number
        case .boolean:
            preconditionFailure("rules.\(name) is not an integer")
        }
    }

    /// The boolean key `name` of a sport's `keys`: its value, or the key's default when absent.
    public func bool(_ name: String, of keys: [RulesKey]) throws(RuleViolation) -> Bool {
        let key = Self.key(name, in: keys)
        guard key.values == .boolean, let fallback = key.defaultValue.boolValue else {
            preconditionFailure("rules.\(name) is not a boolean")
        }
        guard let value = object[name] else { return fallback }
        guard let flag = value.boolValue else { throw RuleViolation("rules.\(name) must be true or false.") }
        return flag
    }

    private static func key(_ name: String, in keys: [RulesKey]) -> RulesKey {
        guard let key = keys.first(where: { $0.name == name }) else { preconditionFailure("no rules key \(name)") }
        return key
    }

    /// "3, 5 or 7".
    private static func alternatives(_ values: [Int]) -> String {
        let texts = values.map { String($0) }
        guard texts.count > 1, let last = texts.last else { return texts.first ?? "" }
        return texts.dropLast().joined(separator: ", ") + " or " + last
    }
}

extension SportRules {
    /// Ordinal labels: 1st, 2nd, 3rd, 4th ... 11th, 12th, 13th, 21st.
    public static func ordinal(_ number: Int) -> String {
        let suffix: String
        switch (number % 10, number % 100) {
        case (_, 11...13): suffix = "th"
        case (1, _): suffix = "st"
        case (2, _): suffix = "nd"
        case (3, _): suffix = "rd"
        default: suffix = "th"
        }
        return "\(number)\(suffix)"
    }
}
