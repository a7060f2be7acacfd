/// An action, a correction or an input field that the rules do not allow. The message is a sentence for
/// the scout or operator who sent it, naming the field or the rule broken.
public struct RuleViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
