import MatchwireCore
import Testing

/// What a sport's `rulesKeys` say (and the OpenAPI document shows) is what its rules object reads: the same keys,
/// the same defaults, every value in range accepted at both ends, every value outside refused with a sentence
/// naming the key. For every sport of the registry.
@Suite struct RulesKeyTests {
    @Test(arguments: Sport.allCases)
    func theDefaultsAreTheDocumentedOnes(_ sport: Sport) throws {
        let keys = sport.rulesType.rulesKeys
        let defaults = try #require(try sport.rules(nil).rulesObject.objectValue)
        #expect(Set(defaults.keys) == Set(keys.map(\.name)), "\(sport): the rules object has the documented keys")
        for key in keys {
            #expect(
                defaults[key.name] == key.defaultValue, "\(sport): rules.\(key.name) defaults to \(key.defaultValue)")
        }
    }

    @Test(arguments: Sport.allCases)
    func everyDocumentedValueIsAcceptedAndNoOther(_ sport: Sport) throws {
        for key in sport.rulesType.rulesKeys {
            let accepted: [JSONValue]
            let refused: [JSONValue]
            switch key.values {
            case .integer(let range):
                accepted = [.number(range.lowerBound), .number(range.upperBound)]
                refused = [.number(range.lowerBound - 1), .number(range.upperBound + 1), "5", true]
            case .integerOneOf(let values):
                accepted = values.map { .number($0) }
                let outside = ((values.min() ?? 0) - 1...(values.max() ?? 0) + 1).filter { !values.contains($0) }
                refused = outside.map { .number($0) } + ["5"]
            case .boolean:
                accepted = [true, false]
                refused = ["true", 1]
            }
            for value in accepted {
                let rules = try sport.rules(.object([key.name: value]))
                #expect(rules.rulesObject[key.name] == value, "\(sport): rules.\(key.name) \(value) is kept")
            }
            for value in refused {
                #expect(throws: RuleViolation.self, "\(sport): rules.\(key.name) \(value) is refused") {
                    try sport.rules(.object([key.name: value]))
                }
                do {
                    _ = try sport.rules(.object([key.name: value]))
                } catch {
                    #expect(error.description.hasPrefix("rules.\(key.name) must be"), "\(error.description)")
                }
            }
        }
    }
}
