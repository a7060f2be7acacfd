import Foundation
import MatchwireCore
import Testing

/// Reading JSON (RFC 8259): any valid text is read, numbers keep their text, and every refusal is a sentence with
/// the byte where it happened.
@Suite struct JSONParserTests {
    static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONValue.parse(Array(text.utf8))
    }

    static func number(_ text: String) throws -> JSONNumber {
        try requireValue(JSONNumber(text), "the number \(text)")
    }

    /// An integer of 400 digits: valid JSON, beyond `Int`, `Decimal` and `Double`.
    static let hugeInteger = "1" + String(repeating: "0", count: 399)

    /// The refusal of `bytes`, or an issue when they are accepted.
    static func syntaxError(
        _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) -> JSONSyntaxError? {
        do {
            let value = try JSONValue.parse(bytes)
            Issue.record("accepted as \(value)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Valid documents

    @Test func everyKindOfValueIsRead() throws {
        let text = #" {"s": "text", "n": -12.5e3, "t": true, "f": false, "z": null, "a": [1, [], {}], "o": {"k": "v"}}"#
        let number = try Self.number("-12.5e3")
        let expected: JSONValue = [
            "s": "text", "n": .number(number), "t": true, "f": false, "z": .null,
            "a": [1, [], [:]], "o": ["k": "v"],
        ]
        #expect(try Self.parse(text) == expected)
    }

    @Test func aTextIsOneValueOfAnyKindWithWhiteSpaceAround() throws {
        #expect(try Self.parse("\t\n\r 7 \r\n") == 7)
        #expect(try Self.parse(#""x""#) == "x")
        #expect(try Self.parse("true") == true)
        #expect(try Self.parse("false") == false)
        #expect(try Self.parse("null") == .null)
        #expect(try Self.parse("[ ]") == [])
        #expect(try Self.parse("{ }") == [:])
        #expect(try Self.parse(" [ 1 , { \"a\" : [ ] } ] ") == [1, ["a": []]])
    }

    @Test func escapesAreReadIncludingSurrogatePairs() throws {
        let text = #""\" \\ \/ \b \f \n \r \t \u00e9 \u20AC \u0000 \uD83D\uDE00""#
        #expect(try Self.parse(text) == .string("\" \\ / \u{08} \u{0C} \n \r \t é € \u{0} 😀"))
        #expect(try Self.parse(#""a\u0041é""#) == "aAé")
    }

    @Test func utf8TextIsKeptAsItIs() throws {
        #expect(try Self.parse("\"é € 😀 中\"") == "é € 😀 中")
        #expect(try Self.parse("{\"clé\": \"€\"}") == ["clé": "€"])
    }

    // MARK: Numbers

    @Test func numbersOfAnySizeAreKeptAsTheirText() throws {
        let texts = [
            "1e308", "5e-324", "-0", "1E+2", Self.hugeInteger, "-" + Self.hugeInteger, "0.1", "1.50", "0",
            "123456789012345678901234567890.000001e-7", "1e99999999999999999999",
        ]
        for text in texts {
            let document = "[\(text)]"
            let value = try Self.parse(document)
            guard case .array(let elements) = value, case .number(let number)? = elements.first else {
                Issue.record("\(text) was not read as a number: \(value)")
                continue
            }
            #expect(number.text == text)
            #expect(value.jsonBytes == Array(document.utf8), "\(text) is written back as it was sent")
        }
    }

    @Test func anIntegerIsAWholeNumberWithinIntHoweverWritten() throws {
        #expect(try Self.number("3").int == 3)
        #expect(try Self.number("3.0").int == 3)
        #expect(try Self.number("30e-1").int == 3)
        #expect(try Self.number("0.3E1").int == 3)
        #expect(try Self.number("1E+2").int == 100)
        #expect(try Self.number("-0").int == 0)
        #expect(try Self.number("0e99999999999999999999").int == 0)
        #expect(try Self.number("9223372036854775807").int == Int.max)
        #expect(try Self.number("-9223372036854775808").int == Int.min)
        #expect(try Self.number("-92233720368547758.08e2").int == Int.min)
        #expect(try Self.number("9223372036854775808").int == nil)
        #expect(try Self.number("1e19").int == nil)
        #expect(try Self.number("1e308").int == nil)
        #expect(try Self.number(Self.hugeInteger).int == nil)
        #expect(try Self.number("1.5").int == nil)
        #expect(try Self.number("1e-400").int == nil)
    }

    @Test func wholeNumbersOfAnySizeAreToldFromFractions() throws {
        for whole in ["3", "3.0", "-0", "1e308", Self.hugeInteger, "1e99999999999999999999", "12.5e1"] {
            #expect(try Self.number(whole).isWhole, "\(whole)")
        }
        for fraction in ["1.5", "1e-400", "12.5", "1e-99999999999999999999", "-0.001"] {
            #expect(try !Self.number(fraction).isWhole, "\(fraction)")
        }
    }

    @Test func doublesAndDecimalsAreGivenOnlyWhenTheyHoldTheValue() throws {
        #expect(try Self.number("1e308").double == 1e308)
        #expect(try Self.number("5e-324").double == Double.leastNonzeroMagnitude)
        #expect(try Self.number("-0").double?.sign == .minus)
        #expect(try Self.number("1e400").double == nil)
        #expect(try Self.number(Self.hugeInteger).double == nil)
        #expect(try Self.number("1e-400").double == 0)
        #expect(try Self.number("1.50").decimal == Decimal(string: "1.5"))
        #expect(try Self.number("1.0E-16").decimal == Decimal(sign: .plus, exponent: -16, significand: 1))
        #expect(try Self.number("1e308").decimal == nil)
        #expect(try Self.number(Self.hugeInteger).decimal == nil)
        #expect(try Self.number("1." + String(repeating: "1", count: 40)).decimal == nil, "more digits than Decimal")
    }

    @Test func numbersAreMadeOnlyFromValidText() throws {
        for invalid in ["01", " 1", "1 ", "NaN", "+1", ".5", "1.", "", "1e", "0x10", "Infinity"] {
            #expect(JSONNumber(invalid) == nil, "\(invalid)")
        }
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(JSONNumber(1e308)?.text == "1e+308")
        #expect(JSONNumber(0.1)?.text == "0.1")
        #expect(JSONNumber(42).text == "42")
        #expect(JSONNumber(exactly: Decimal(515_074) / 10_000)?.text == "51.5074")
    }

    @Test func numbersAreEqualWhenTheyAreTheSameNumberWhateverTheSpelling() throws {
        let equal: [(String, String)] = [
            ("1", "1.0"), ("1e2", "100"), ("100", "1E+2"), ("-0", "0"), ("0.10", "1e-1"), ("0.0", "0e5"),
            ("1.0E-16", "0.0000000000000001"), ("-12.5", "-125e-1"),
            ("1e100000000000000000000", "10e99999999999999999999"),
            ("1e-100000000000000000000", "0.1e-99999999999999999999"),
            ("1e99999999999999999999", "0.001e100000000000000000002"),
        ]
        for (left, right) in equal {
            let (a, b) = (try Self.number(left), try Self.number(right))
            #expect(a == b, "\(left) == \(right)")
            #expect(Set([a, b]).count == 1, "\(left) and \(right) hash alike")
        }
        let different: [(String, String)] = [
            ("1", "2"), ("1", "-1"), ("1e308", "1e307"), ("0.1", "0.01"), ("11", "1.1e1000"),
            ("1e100000000000000000000", "1e100000000000000000001"),
            ("1e-100000000000000000000", "1e100000000000000000000"),
            (Self.hugeInteger, Self.hugeInteger + "1"),
        ]
        for (left, right) in different {
            #expect(try Self.number(left) != Self.number(right), "\(left) != \(right)")
        }
        #expect(try Self.parse(#"{"x": 1.0, "y": [2e0]}"#) == ["x": 1, "y": [2]])
    }

    // MARK: Refusals

    @Test func invalidTextIsRefusedWithASentenceNamingTheByte() throws {
        let cases: [(bytes: [UInt8], offset: Int)] = [
            (Array("01".utf8), 0),
            (Array("-01".utf8), 0),
            (Array("1.".utf8), 2),
            (Array(".5".utf8), 0),
            (Array("+1".utf8), 0),
            (Array("NaN".utf8), 0),
            (Array("Infinity".utf8), 0),
            (Array("-".utf8), 1),
            (Array("1e".utf8), 2),
            (Array("1e+".utf8), 3),
            (Array("0x10".utf8), 1),
            (Array("[1,]".utf8), 3),
            (Array(#"{"a":1,}"#.utf8), 7),
            (Array("[1 2]".utf8), 3),
            (Array("[1,2".utf8), 4),
            (Array("[1]]".utf8), 3),
            (Array(#"{"a" 1}"#.utf8), 5),
            (Array("{1:2}".utf8), 1),
            (Array("{'a':1}".utf8), 1),
            (Array("tru".utf8), 3),
            (Array("nul!".utf8), 3),
            (Array("1 2".utf8), 2),
            (Array("{}x".utf8), 2),
            (Array("".utf8), 0),
            (Array("   ".utf8), 3),
            (Array("[".utf8), 1),
            (Array("{".utf8), 1),
            (Array(#""abc"#.utf8), 0),
            (Array(#""\x""#.utf8), 1),
            (Array(#""\u12G4""#.utf8), 1),
            (Array(#""\"#.utf8), 2),
            (Array("\"a\nb\"".utf8), 2),
            ([0x22, 0xFF, 0x22], 1),
            ([0x22, 0xC3, 0x28, 0x22], 1),
            ([0x22, 0xC0, 0xAF, 0x22], 1),
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),
            ([0x22, 0xE2, 0x82], 1),
            ([0xEF, 0xBB, 0xBF] + Array("1".utf8), 0),
            (Array("\u{0B}1".utf8), 0),
        ]
        for (bytes, offset) in cases {
            let shown = String(decoding: bytes, as: UTF8.self).debugDescription
            guard let error = Self.syntaxError(bytes) else { continue }
            #expect(error.kind == .malformed, "\(shown)")
            #expect(error.offset == offset, "\(shown): \(error)")
            #expect(error.description.hasPrefix("The text is not valid JSON: "), "\(shown): \(error)")
            #expect(error.description.contains("byte \(offset)"), "\(shown): \(error)")
            #expect(error.description.hasSuffix("."), "\(shown): \(error)")
            #expect(error.sentence(about: "The body").hasPrefix("The body is not valid JSON: "))
            #expect(!error.description.contains("Decoding") && !error.description.contains("Dictionary"))
        }
        #expect(try Self.parse("\"a\u{7F}\"") == "a\u{7F}", "DEL is no control character to JSON")
    }

    @Test func theSentenceSaysWhatWasFoundAndWhatWasExpected() throws {
        let error = try requireValue(Self.syntaxError(Array(#"{"a": }"#.utf8)))
        #expect(
            error.sentence(about: "The body")
                == "The body is not valid JSON: unexpected character '}' at byte 6 where a value was expected.")
        let ended = try requireValue(Self.syntaxError(Array(#"{"actionId": "#.utf8)))
        #expect(ended.description == "The text is not valid JSON: it ends at byte 13 where a value was expected.")
    }

    @Test func halfASurrogatePairIsRefused() throws {
        for text in [#""\uD800""#, #""\uDC00""#, #""\uD800\u0041""#, #""\uD800x""#, #""\udbff\udbff""#] {
            guard let error = Self.syntaxError(Array(text.utf8)) else { continue }
            #expect(error.kind == .loneSurrogate, "\(text)")
            #expect(error.offset == 1, "\(text)")
            #expect(error.description.contains("surrogate pair"), "\(error)")
        }
        #expect(try Self.parse(#""\udbff\udfff""#) == .string("\u{10FFFF}"))
    }

    @Test func anObjectWithTheSameNameTwiceIsRefused() throws {
        let error = try requireValue(Self.syntaxError(Array(#"{"a":1,"a":2}"#.utf8)))
        #expect(error.kind == .duplicateName)
        #expect(error.offset == 7)
        #expect(error.description.contains("\"a\" twice"))
        let nested = try requireValue(Self.syntaxError(Array(#"[{"m": {"x": 1, "y": 2, "x": 1}}]"#.utf8)))
        #expect(nested.kind == .duplicateName)
        #expect(try Self.parse(#"[{"a":1},{"a":1}]"#) == [["a": 1], ["a": 1]], "the same name in two objects")
    }

    @Test func nestingIsReadTo64LevelsAndRefusedBeyond() throws {
        #expect(JSONValue.maxDepth == 64)
        let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        var value = try Self.parse(deepest)
        var levels = 0
        while case .array(let elements) = value {
            levels += 1
            value = elements.first ?? .null
        }
        #expect(levels == 64)

        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = try requireValue(Self.syntaxError(Array(tooDeep.utf8)))
        #expect(error.kind == .tooDeep)
        #expect(error.offset == 64)
        #expect(error.description.contains("more than 64 deep"))

        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        let objectError = try requireValue(Self.syntaxError(Array(objects.utf8)))
        #expect(objectError.kind == .tooDeep)
        #expect(objectError.offset == 64 * 5)
    }

    @Test func aHundredThousandOpenBracketsAreRefusedAtOnce() throws {
        let open = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        let unclosed = try requireValue(Self.syntaxError(open))
        #expect(unclosed.kind == .tooDeep)
        #expect(unclosed.offset == 64)
        let closed = open + [UInt8](repeating: UInt8(ascii: "]"), count: 100_000)
        let valid = try requireValue(Self.syntaxError(closed))
        #expect(valid.kind == .tooDeep)
        let objects = Array(String(repeating: #"{"a":"#, count: 100_000).utf8)
        #expect(Self.syntaxError(objects)?.kind == .tooDeep)
    }

    // MARK: Ingest actions

    static let actionId = #""actionId": "8a57b9c5-f3ef-4509-a831-64a3efd42932""#

    static func submission(_ fields: String) throws -> ActionSubmission {
        try ActionSubmission(json: parse("{\(actionId), \(fields)}"))
    }

    @Test func anOutOfRangeNumberInAnActionIsARuleViolationNamingTheField() throws {
        #expect(throws: RuleViolation("period must be a whole number from 0; 1e308 is out of range.")) {
            try Self.submission(#""fixtureActionTypeId": 1102, "period": 1e308"#)
        }
        #expect(throws: RuleViolation("period must be a whole number from 0; -1e308 is out of range.")) {
            try Self.submission(#""fixtureActionTypeId": 1102, "period": -1e308"#)
        }
        #expect(throws: RuleViolation("period must be a whole number from 0.")) {
            try Self.submission(#""fixtureActionTypeId": 1102, "period": 1.5"#)
        }
        #expect(throws: RuleViolation("period must be a whole number from 0.")) {
            try Self.submission(#""fixtureActionTypeId": 1102, "period": 5e-324"#)
        }
        #expect(
            throws: RuleViolation("timestamp must be an ISO 8601 UTC time such as 2025-05-20T08:30:00.987Z.")
        ) {
            try Self.submission(#""fixtureActionTypeId": 1102, "timestamp": "# + Self.hugeInteger)
        }
        #expect(
            throws: RuleViolation(
                "fixtureActionTypeId must be an integer; 100000000000… (400 characters) is out of range.")
        ) {
            try Self.submission(#""fixtureActionTypeId": "# + Self.hugeInteger)
        }
        #expect(throws: RuleViolation("fixtureActionTypeId must be an integer.")) {
            try Self.submission(#""fixtureActionTypeId": 1102.5"#)
        }
        #expect(throws: RuleViolation("fixtureActionSubTypeId must be an integer; 1e308 is out of range.")) {
            try Self.submission(#""fixtureActionTypeId": 1102, "fixtureActionSubTypeId": 1e308"#)
        }
        #expect(throws: RuleViolation("sendTypeId must be 1 (Pending) to 6 (Restored).")) {
            try Self.submission(#""fixtureActionTypeId": 1102, "sendTypeId": 1e308"#)
        }
    }

    @Test func anIntegerFieldTakesAWholeNumberHoweverWritten() throws {
        let submission = try Self.submission(#""fixtureActionTypeId": 11.02e2, "period": 2.0, "sendTypeId": 5e0"#)
        #expect(submission.actionType == .id(1102))
        #expect(submission.period == 2)
        #expect(submission.sendType == .confirmed)
    }

    @Test func anActionTypeAndASendTypeNamedBothWaysMustAgree() throws {
        let both = try Self.submission(
            #""fixtureActionTypeId": 1102, "fixtureActionType": "Point Scored", "sendTypeId": 1, "sendType": "pending""#
        )
        #expect(both.actionType == .both(id: 1102, name: "Point Scored"))
        #expect(both.sendType == .pending)
        #expect(try ActionSubmission(json: JSONValue.parse(both.json.jsonBytes)) == both)
        #expect(throws: RuleViolation("fixtureActionType must be a string.")) {
            try Self.submission(#""fixtureActionTypeId": 1102, "fixtureActionType": null"#)
        }
        #expect(
            throws: RuleViolation(
                "sendTypeId 1 (Pending) and sendType 'Confirmed' contradict each other: "
                    + "send one of them, or both naming the same send type.")
        ) {
            try Self.submission(#""fixtureActionTypeId": 1102, "sendTypeId": 1, "sendType": "Confirmed""#)
        }
        #expect(throws: RuleViolation("sendTypeId must be 1 (Pending) to 6 (Restored).")) {
            try Self.submission(#""fixtureActionTypeId": 1102, "sendTypeId": 9, "sendType": "Confirmed""#)
        }
    }

    @Test func metadataNumbersAreKeptByteForByteIntoThePacket() throws {
        let metadata = #"{"big":\#(Self.hugeInteger),"max":1e308,"min":5e-324,"price":1.50,"zero":-0}"#
        let submission = try Self.submission(#""fixtureActionTypeId": 2, "metadata": "# + metadata)
        let stored = String(decoding: submission.json.jsonBytes, as: UTF8.self)
        #expect(stored.contains(#""metadata":\#(metadata)"#))
        #expect(try ActionSubmission(json: JSONValue.parse(submission.json.jsonBytes)) == submission)

        var match = try MatchScript()
        let packet = try match.send(2, metadata: submission.metadata)
        let bytes = packet.jsonBytes
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""metadata":\#(metadata)"#))
        let readBack = String(decoding: try Packet.decode(bytes).jsonBytes, as: UTF8.self)
        #expect(readBack.contains(#""metadata":\#(metadata)"#), "a packet read back keeps its metadata exactly")
    }

    @Test func numbersTheRulesReadAreRefusedInTheRulesWordsWhenOutOfRange() throws {
        var match = try MatchScript()
        try match.startMatch()
        let status = try Self.parse(#"{"fixtureStatus": 1e308}"#)
        #expect(
            refusal { try match.send(22, metadata: status) }
                .contains("metadata.fixtureStatus must be an integer from 0 to 7."))
        #expect(throws: RuleViolation("rules.bestOf must be 3, 5 or 7.")) {
            try TableTennisRules(rulesObject: Self.parse(#"{"bestOf": 1e308}"#))
        }
    }

    @Test func anIngestBodyThatIsValidJSONIsNeverRefusedAsMalformed() throws {
        let body = "[{\(Self.actionId), \"fixtureActionTypeId\": 4, \"metadata\": {\"n\": \(Self.hugeInteger)}}]"
        let submissions = try ActionSubmission.batch(from: Self.parse(body))
        #expect(submissions.count == 1)
        #expect(submissions[0].metadata?["n"] == .number(try Self.number(Self.hugeInteger)))
    }
}
