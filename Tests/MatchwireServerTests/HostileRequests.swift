import Foundation
import MatchwireCore

// The requests of the hostile-input test (HostileInputTests): each one made from the storm's seed and its own index
// alone, so that a failing request can be made again by itself (MATCHWIRE_HOSTILE_INDEX).

/// Random choices from a seed (SplitMix64, `SeededGenerator`), with helpers that use no standard library random
/// algorithm: the same seed gives the same requests on every machine and toolchain.
struct HostileDice {
    private var generator: SeededGenerator

    /// The dice of request `index` of a storm: independent of every other request's.
    init(seed: UInt64, index: Int) {
        var mixer = SeededGenerator(seed: seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15)
        generator = SeededGenerator(seed: mixer.next())
    }

    mutating func next() -> UInt64 { generator.next() }

    /// A number from 0 to `bound - 1`.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(truncatingIfNeeded: generator.next() % UInt64(bound))
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double(generator.next() >> 11) * 0x1p-53 < probability
    }

    mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(UInt8(truncatingIfNeeded: generator.next())) }
        return bytes
    }

    /// `count` printable ASCII characters (space to `~`).
    mutating func printableText(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(0x20 + UInt8(below(95))) }
        return bytes
    }

    /// `count` decimal digits, the first not 0.
    mutating func digits(_ count: Int) -> String {
        var text = String(1 + below(9))
        for _ in 1..<max(count, 1) { text += String(below(10)) }
        return text
    }

    /// A UUID in its lower-case wire form, made from the dice (never one of the test's fixtures).
    mutating func uuidText() -> String {
        func hex(_ value: UInt64) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }
        let characters = Array(hex(next()) + hex(next()))
        let groups = [
            characters[0..<8], characters[8..<12], characters[12..<16], characters[16..<20], characters[20..<32],
        ]
        return groups.map { String($0) }.joined(separator: "-")
    }
}

/// What the storm aims at: the server, its tokens and fixtures, and what valid reads must keep answering.
struct HostileTargets: Sendable {
    let port: Int
    let admin: String
    let scout: String
    let consumer: String
    /// One fixture of each sport. The table tennis one is live and holds the actions ingested before the storm;
    /// the others are scheduled.
    let fixtures: [Sport: UUID]
    let maxBodyBytes: Int
    /// The live fixture's actions list, as read before the storm: every valid read during it must give these bytes.
    let actionsList: [UInt8]
    /// The live fixture's object, as read before the storm.
    let fixtureObject: [UInt8]

    var liveFixture: UUID { fixtures[.tableTennis]! }
    func fixture(_ sport: Sport) -> UUID { fixtures[sport]! }
}

/// The kinds of hostile request, each with its share of the storm.
enum HostileKind: String, CaseIterable, Sendable {
    // HTTP-level garbage: each alone on a connection of its own; answered below 500, or the connection closed.
    case method, contentLength, transferEncoding, lineEndings, headerSyntax, longHeader, manyHeaders, version, target,
        percentEncoding, randomBytes, incomplete, upgrade
    // Application level: well-formed HTTP/1.1, several on one kept-alive connection; always answered below 500.
    case wrongMethod, token, query, accept, fixtureId, ingestBody, adminCreate, adminPatch, oversized, control

    /// Requests of this kind in a thousand.
    var weight: Int {
        switch self {
        case .method: 60
        case .contentLength: 40
        case .transferEncoding: 40
        case .lineEndings: 30
        case .headerSyntax: 50
        case .longHeader: 10
        case .manyHeaders: 10
        case .version: 35
        case .target: 40
        case .percentEncoding: 50
        case .randomBytes: 50
        // Each waits for one of the server's timeouts: few, or the storm takes minutes.
        case .incomplete: 3
        case .upgrade: 12
        case .wrongMethod: 70
        case .token: 60
        case .query: 90
        case .accept: 30
        case .fixtureId: 40
        case .ingestBody: 150
        case .adminCreate: 50
        case .adminPatch: 40
        case .oversized: 15
        case .control: 25
        }
    }

    static let totalWeight = allCases.reduce(0) { $0 + $1.weight }

    var isHTTPLevel: Bool {
        switch self {
        case .method, .contentLength, .transferEncoding, .lineEndings, .headerSyntax, .longHeader, .manyHeaders,
            .version, .target, .percentEncoding, .randomBytes, .incomplete, .upgrade:
            true
        case .wrongMethod, .token, .query, .accept, .fixtureId, .ingestBody, .adminCreate, .adminPatch, .oversized,
            .control:
            false
        }
    }
}

/// One request of the storm, as bytes, with what its answer must be.
struct HostileRequest: Sendable {
    enum Expectation: Sendable, Equatable {
        /// HTTP-level garbage: an answer below 500, or the connection closed.
        case answerOrClose
        /// A well-formed request: an answer below 500.
        case answer
        /// An answer with exactly this status.
        case status(Int)
        /// A valid read: 200, and these bytes when given.
        case success(body: [UInt8]?)
    }

    let index: Int
    let kind: HostileKind
    /// What is wrong with it, in a few words.
    let label: String
    /// The method as sent: an answer to HEAD has no body.
    let method: String
    let bytes: [UInt8]
    /// Sent on a connection of its own; otherwise on the sender's kept-alive connection.
    let ownConnection: Bool
    let expectation: Expectation

    var excerpt: String { HostileText.printable(bytes, limit: 300) }
}

enum HostileText {
    /// Bytes as text for a failure message: CR and LF as `\r` `\n`, other bytes outside printable ASCII as `\xNN`.
    static func printable(_ bytes: some Collection<UInt8>, limit: Int) -> String {
        var text = ""
        for byte in bytes.prefix(limit) {
            switch byte {
            case 0x0D: text += "\\r"
            case 0x0A: text += "\\n"
            case 0x20..<0x7F: text.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return bytes.count > limit ? text + "... (\(bytes.count) bytes)" : text
    }

    static func printable(_ text: String, limit: Int = 60) -> String { printable(Array(text.utf8), limit: limit) }
}

/// Makes request `index` of a storm.
struct HostileRequestGenerator: Sendable {
    let targets: HostileTargets
    let seed: UInt64

    func request(_ index: Int) -> HostileRequest {
        var dice = HostileDice(seed: seed, index: index)
        var roll = dice.below(HostileKind.totalWeight)
        var kind = HostileKind.control
        for candidate in HostileKind.allCases {
            if roll < candidate.weight {
                kind = candidate
                break
            }
            roll -= candidate.weight
        }
        let draft = make(kind, &dice)
        return HostileRequest(
            index: index, kind: kind, label: draft.label, method: draft.method, bytes: draft.bytes,
            ownConnection: draft.ownConnection ?? kind.isHTTPLevel,
            expectation: draft.expectation ?? (kind.isHTTPLevel ? .answerOrClose : .answer))
    }

    private func make(_ kind: HostileKind, _ dice: inout HostileDice) -> Draft {
        switch kind {
        case .method: return strangeMethod(&dice)
        case .contentLength: return badContentLength(&dice)
        case .transferEncoding: return badTransferEncoding(&dice)
        case .lineEndings: return badLineEndings(&dice)
        case .headerSyntax: return badHeaderSyntax(&dice)
        case .longHeader: return longHeader(&dice)
        case .manyHeaders: return manyHeaders(&dice)
        case .version: return badVersion(&dice)
        case .target: return strangeTarget(&dice)
        case .percentEncoding: return badPercentEncoding(&dice)
        case .randomBytes: return randomBytes(&dice)
        case .incomplete: return incomplete(&dice)
        case .upgrade: return badUpgrade(&dice)
        case .wrongMethod: return wrongMethod(&dice)
        case .token: return badToken(&dice)
        case .query: return badQuery(&dice)
        case .accept: return badAccept(&dice)
        case .fixtureId: return badFixtureId(&dice)
        case .ingestBody: return badIngestBody(&dice)
        case .adminCreate: return badAdminCreate(&dice)
        case .adminPatch: return badAdminPatch(&dice)
        case .oversized: return oversized(&dice)
        case .control: return control(&dice)
        }
    }

    /// A request being made.
    private struct Draft {
        var label: String
        var method: String
        var bytes: [UInt8]
        var ownConnection: Bool? = nil
        var expectation: HostileRequest.Expectation? = nil
    }

    // MARK: Routes

    private enum Route: CaseIterable {
        case fixtures, fixture, actions, media, ingest, adminCreate, adminFixture
    }

    /// A request a client could mean: method, target, headers, body.
    private struct Call {
        var method: String
        var target: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        mutating func replaceHeader(_ name: String, with value: String?) {
            headers.removeAll { $0.name.lowercased() == name.lowercased() }
            if let value { headers.append((name, value)) }
        }
    }

    private static let vendorType = "application/vnd.imggaming.dde.api+json;version=1"

    private func path(_ route: Route, sport: Sport, id: String) -> String {
        switch route {
        case .fixtures: "/\(sport.pathSegment)/fixtures"
        case .fixture: "/\(sport.pathSegment)/fixtures/\(id)"
        case .actions: "/\(sport.pathSegment)/fixtures/\(id)/actions"
        case .media: "/media/\(sport.pathSegment)/fixtures/\(id)/actions"
        case .ingest: "/ingest/\(sport.pathSegment)/fixtures/\(id)/actions"
        case .adminCreate: "/admin/fixtures"
        case .adminFixture: "/admin/fixtures/\(id)"
        }
    }

    private func properMethod(_ route: Route) -> String {
        switch route {
        case .fixtures, .fixture, .actions, .media: "GET"
        case .ingest, .adminCreate: "POST"
        // DELETE is right too, but the storm never deletes a fixture that exists: see badFixtureId.
        case .adminFixture: "PATCH"
        }
    }

    private func token(_ route: Route) -> String {
        switch route {
        case .fixtures, .fixture, .actions, .media: targets.consumer
        case .ingest: targets.scout
        case .adminCreate, .adminFixture: targets.admin
        }
    }

    /// A well-formed request of `route` (random when nil) on an existing fixture, with the right method and token.
    /// Its body, if any, is never one the route accepts.
    private func wellFormed(_ dice: inout HostileDice, route: Route? = nil, sport: Sport? = nil) -> Call {
        let route = route ?? dice.pick(Route.allCases)
        let sport = sport ?? dice.pick(Sport.allCases)
        let id = route == .adminFixture ? dice.pick(Sport.allCases.map(targets.fixture)) : targets.fixture(sport)
        var call = Call(
            method: properMethod(route), target: path(route, sport: sport, id: id.wire),
            headers: [("Authorization", "Bearer \(token(route))")], body: [])
        switch route {
        case .fixtures, .fixture, .actions, .media:
            call.headers.insert(("Accept", Self.vendorType), at: 0)
        case .ingest, .adminCreate, .adminFixture:
            call.headers.append(("Content-Type", "application/json"))
            call.body = Array(dice.pick(Self.smallInvalidBodies).utf8)
        }
        return call
    }

    /// Short bodies no ingest or admin route accepts (`{}` is an empty patch: harmless on the scheduled fixtures,
    /// 409 on the live one).
    private static let smallInvalidBodies = [
        "{", "[]", "{}", "null", "{\"actionId\":1}", "[{}]", "{\"colour\":\"red\"}", "x", "[1,2", "\"text\"",
    ]

    // MARK: Serialising

    /// A request as lines, so that any part of it can be wrong.
    private struct HTTPText {
        static let crlf: [UInt8] = [13, 10]

        var requestLine: [UInt8]
        var lines: [[UInt8]]
        var body: [UInt8]

        func bytes(_ lineEnd: [UInt8] = HTTPText.crlf) -> [UInt8] {
            var out = requestLine + lineEnd
            for line in lines { out += line + lineEnd }
            return out + lineEnd + body
        }

        /// The head without its last empty line, and no body.
        var unfinishedHead: [UInt8] {
            var out = requestLine + Self.crlf
            for line in lines { out += line + Self.crlf }
            return out
        }
    }

    /// `Host`, the call's headers, and `Content-Length` when there is a body or the method takes one.
    private func text(_ call: Call, version: String = "HTTP/1.1", contentLength: Bool = true) -> HTTPText {
        var lines = [Array("Host: 127.0.0.1:\(targets.port)".utf8)]
        for (name, value) in call.headers { lines.append(Array("\(name): \(value)".utf8)) }
        if contentLength, !call.body.isEmpty || ["POST", "PUT", "PATCH"].contains(call.method) {
            lines.append(Array("Content-Length: \(call.body.count)".utf8))
        }
        return HTTPText(
            requestLine: Array("\(call.method) \(call.target) \(version)".utf8), lines: lines, body: call.body)
    }

    private func bytes(_ call: Call) -> [UInt8] { text(call).bytes() }

    // MARK: HTTP-level garbage

    private static let strangeMethods = [
        "FOO", "get", "post", "Get", "pOST", "patch", "BREW", "QUERY", "PURGE", "PROPFIND", "MKCOL", "M-SEARCH",
        "SOURCE", "LINK", "UNLINK", "TRACE", "PRI", "GETT", "G", "ACL", "SEARCH", "REPORT", "LOCK", "X-METHOD",
        "GET\u{1}", "GE\u{7F}T", "POST\u{0}", "ÄPOST", "GET GET", "*", "GET\t",
    ]

    private func strangeMethod(_ dice: inout HostileDice) -> Draft {
        var call = wellFormed(&dice)
        call.method =
            dice.chance(0.05) ? String(repeating: "X", count: dice.int(100...5_000)) : dice.pick(Self.strangeMethods)
        let label =
            call.method.count > 20 ? "method of \(call.method.count) letters" : HostileText.printable(call.method)
        return Draft(label: label, method: call.method, bytes: bytes(call))
    }

    private func badContentLength(_ dice: inout HostileDice) -> Draft {
        let route = dice.pick([Route.ingest, .adminCreate, .adminFixture, .fixtures])
        var call = wellFormed(&dice, route: route)
        if call.body.count < 2 { call.body = Array("{\"actionId\":1}".utf8) }
        let n = call.body.count
        let variants: [[String]] = [
            ["Content-Length: -1"], ["Content-Length: abc"], ["Content-Length: 1e3"],
            ["Content-Length: 0x\(String(n, radix: 16))"], ["Content-Length: +\(n)"], ["Content-Length: -\(n)"],
            ["Content-Length: 99999999999999999999999999"], ["Content-Length: 18446744073709551616"],
            ["Content-Length: 9223372036854775808"], ["Content-Length: \(n), \(n)"], ["Content-Length: \(n),\(n + 3)"],
            ["Content-Length:"], ["Content-Length:   "], ["Content-Length: \(n) \(n)"], ["Content-Length: \(n)\u{0}"],
            ["Content-Length: \(n).0"], ["Content-Length: -0"], ["Content-Length: 000000000000\(n)"],
            ["Content-Length: \(n)", "Content-Length: \(n)"], ["Content-Length: \(n)", "Content-Length: \(n + 3)"],
            ["Content-Length: \(n + 3)", "Content-Length: \(n)"], ["Content-Length: ٣"], ["Content-Length: \(n)abc"],
            ["Content-Length:\t\(n)\t"], ["content-length: \(n)"], ["CONTENT-LENGTH: \(n)"],
            ["Content-Length : \(n)"], ["Content_Length: \(n)"],
            ["Content-Length: \(n)", "Transfer-Encoding: identity"],
        ]
        let lines = dice.pick(variants)
        var text = self.text(call, contentLength: false)
        text.lines += lines.map { Array($0.utf8) }
        // Enough bytes for the larger reading of two values; what is left over is not read as this request.
        if lines.contains(where: { $0.hasSuffix("\(n + 3)") }) { text.body += Array("   ".utf8) }
        return Draft(label: lines.joined(separator: " + "), method: call.method, bytes: text.bytes())
    }

    private func badTransferEncoding(_ dice: inout HostileDice) -> Draft {
        let route = dice.pick([Route.ingest, .adminCreate, .adminFixture])
        var call = wellFormed(&dice, route: route)
        if call.body.count < 2 { call.body = Array("{\"actionId\":1}".utf8) }
        let body = call.body
        let size = String(body.count, radix: 16)
        func chunk(_ sizeLine: String, _ data: [UInt8]) -> [UInt8] {
            Array("\(sizeLine)\r\n".utf8) + data + Array("\r\n0\r\n\r\n".utf8)
        }
        let chunked = chunk(size, body)
        var ones: [UInt8] = []
        for byte in body { ones += Array("1\r\n".utf8) + [byte] + HTTPText.crlf }
        let te = "Transfer-Encoding: chunked"
        let trailing = dice.int(1...64)
        let (label, headers, encoded): (String, [String], [UInt8]) =
            switch dice.below(24) {
            case 0: ("chunked and Content-Length", [te, "Content-Length: \(body.count)"], chunked)
            case 1: ("Content-Length and chunked", ["Content-Length: 3", te], chunked)
            case 2: ("chunk size zz", [te], chunk("zz", body))
            case 3: ("chunk size -5", [te], chunk("-5", body))
            case 4: ("chunk size overflows", [te], chunk("ffffffffffffffffffff", body))
            case 5: ("chunk size '5 5'", [te], chunk("5 5", body))
            case 6: ("chunk size 0x", [te], chunk("0x\(size)", body))
            case 7: ("empty chunk size", [te], chunk("", body))
            case 8: ("NUL in a chunk extension", [te], chunk("\(size);ext=\u{0}", body))
            case 9: ("chunk size +", [te], chunk("+\(size)", body))
            case 10: ("chunk longer than its size", [te], chunk("1", body))
            case 11: ("no CRLF after the chunk data", [te], Array("\(size)\r\n".utf8) + body + Array("0\r\n\r\n".utf8))
            case 12: ("gzip", ["Transfer-Encoding: gzip"], body)
            case 13: ("chunked, gzip", ["Transfer-Encoding: chunked, gzip"], chunked)
            case 14: ("gzip, chunked", ["Transfer-Encoding: gzip, chunked"], chunked)
            case 15:
                ("identity and Content-Length", ["Transfer-Encoding: identity", "Content-Length: \(body.count)"], body)
            case 16: ("Chunked", ["Transfer-Encoding: Chunked"], chunked)
            case 17: ("NUL after chunked", ["Transfer-Encoding: chunked\u{0}"], chunked)
            case 18: ("unknown coding", ["Transfer-Encoding: x-custom"], body)
            case 19: ("two Transfer-Encoding lines", ["Transfer-Encoding: gzip", te], chunked)
            case 20: ("one-byte chunks", [te], ones + Array("0\r\n\r\n".utf8))
            case 21:
                (
                    "malformed trailer", [te],
                    Array("\(size)\r\n".utf8) + body + Array("\r\n0\r\nBad Trailer\r\n\r\n".utf8)
                )
            case 22:
                (
                    "chunk extension of 50,000 bytes", [te],
                    chunk("\(size);" + String(repeating: "e", count: 50_000), body)
                )
            default: ("bytes after the last chunk", [te], chunked + dice.bytes(trailing))
            }
        var text = self.text(call, contentLength: false)
        text.lines += headers.map { Array($0.utf8) }
        text.body = encoded
        return Draft(label: label, method: call.method, bytes: text.bytes())
    }

    private func badLineEndings(_ dice: inout HostileDice) -> Draft {
        let call = wellFormed(&dice)
        let text = self.text(call)
        let crlf = HTTPText.crlf
        let lf: [UInt8] = [10]
        switch dice.below(7) {
        case 0: return Draft(label: "bare LF", method: call.method, bytes: text.bytes(lf))
        case 1:
            var out = text.requestLine + dice.pick([crlf, lf])
            for line in text.lines { out += line + dice.pick([crlf, lf]) }
            return Draft(
                label: "CR LF and bare LF mixed", method: call.method, bytes: out + dice.pick([crlf, lf]) + text.body)
        case 2: return Draft(label: "bare CR", method: call.method, bytes: text.bytes([13]))
        case 3: return Draft(label: "CR CR LF", method: call.method, bytes: text.bytes([13, 13, 10]))
        case 4: return Draft(label: "LF CR", method: call.method, bytes: text.bytes([10, 13]))
        case 5:
            return Draft(
                label: "bare LF ends the head", method: call.method, bytes: text.unfinishedHead + lf + text.body)
        default:
            var out = text.requestLine + lf
            for line in text.lines { out += line + crlf }
            return Draft(label: "bare LF after the request line", method: call.method, bytes: out + crlf + text.body)
        }
    }

    private func badHeaderSyntax(_ dice: inout HostileDice) -> Draft {
        let call = wellFormed(&dice)
        var text = self.text(call)
        let bad: [(String, [UInt8])] = [
            ("no colon", Array("NoColonHere".utf8)),
            ("space in a name", Array("Space Name: x".utf8)),
            ("space before the colon", Array("Name : x".utf8)),
            ("empty name", Array(": empty-name".utf8)),
            ("folded line", Array(" folded continuation".utf8)),
            ("folded line with a tab", Array("\tfolded".utf8)),
            ("NUL in a name", Array("Na\u{0}me: x".utf8)),
            ("NUL in a value", Array("Name: va\u{0}lue".utf8)),
            ("control bytes in a value", Array("Name: \u{1}\u{2}\u{7F}".utf8)),
            ("CR in a value", Array("Name: a\rb".utf8)),
            ("DEL in a name", Array("Na\u{7F}me: x".utf8)),
            ("non-ASCII name", Array("Námé: x".utf8)),
            ("separator in a name", Array("Na(me): x".utf8)),
            ("two colons", Array("Name:: x".utf8)),
            ("escape sequence in a value", Array("Name: \u{1B}[31mred".utf8)),
            ("0xFF in a value", Array("X-Bin: ".utf8) + [0xFF, 0xFE, 0x80]),
            ("0xFF in a name", [0xFF, 0xFE] + Array(": x".utf8)),
            ("lone colon", Array(":".utf8)),
            ("NUL in Authorization", Array("Authorization: Bearer \u{0}\(targets.consumer)".utf8)),
            ("NUL in Accept", Array("Accept: application/json\u{0}".utf8)),
            ("NUL in Host", Array("Host: \u{0}".utf8)),
            ("control byte in Content-Type", Array("Content-Type: application/json\u{1}".utf8)),
            ("second Host", Array("Host: evil.example".utf8)),
            ("NUL in Connection", Array("Connection: close, \u{0}".utf8)),
            ("BEL in Expect", Array("Expect: \u{7}".utf8)),
            ("tab-only value", Array("Name:\t\t".utf8)),
        ]
        let (label, line) = dice.pick(bad)
        text.lines.insert(line, at: dice.int(0...text.lines.count))
        return Draft(label: label, method: call.method, bytes: text.bytes())
    }

    private func longHeader(_ dice: inout HostileDice) -> Draft {
        var call = wellFormed(&dice)
        let length = dice.pick([8_192, 65_536, 300_000, 1_000_000])
        let label: String
        switch dice.below(6) {
        case 0:
            label = "value"
            call.headers.append(("X-Long", String(repeating: "a", count: length)))
        case 1:
            label = "Accept"
            call.replaceHeader("Accept", with: String(repeating: "text/html, ", count: length / 11) + "*/*")
        case 2:
            label = "token"
            call.replaceHeader("Authorization", with: "Bearer " + String(repeating: "A", count: length))
        case 3:
            label = "Cookie"
            call.headers.append(("Cookie", String(repeating: "c=1; ", count: length / 5)))
        case 4:
            label = "name"
            call.headers.append((String(repeating: "X", count: length), "1"))
        default:
            label = "target"
            call.target += (dice.chance(0.5) ? "?a=" : "/") + String(repeating: "b", count: length)
        }
        return Draft(label: "\(label) of \(length) bytes", method: call.method, bytes: bytes(call))
    }

    private func manyHeaders(_ dice: inout HostileDice) -> Draft {
        var call = wellFormed(&dice)
        let count = dice.pick([100, 1_000, 5_000, 20_000])
        let label: String
        var many: [(name: String, value: String)] = []
        many.reserveCapacity(count)
        switch dice.below(4) {
        case 0:
            label = "distinct headers"
            for i in 0..<count { many.append(("X-Header-\(i)", "v")) }
        case 1:
            label = "headers of one name"
            for i in 0..<count { many.append(("X-Same", "\(i)")) }
        case 2:
            label = "Accept headers"
            for _ in 0..<count { many.append(("Accept", "*/*")) }
        default:
            label = "unknown tokens before the right one"
            for i in 0..<count { many.append(("Authorization", "Bearer mw_unknown\(i)")) }
        }
        call.headers = many + call.headers
        return Draft(label: "\(count) \(label)", method: call.method, bytes: bytes(call))
    }

    private func badVersion(_ dice: inout HostileDice) -> Draft {
        let call = wellFormed(&dice)
        switch dice.below(16) {
        case 0:
            var preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
            if dice.chance(0.5) { preface += [0, 0, 0, 4, 0, 0, 0, 0, 0] }  // an empty SETTINGS frame
            return Draft(label: "HTTP/2 preface", method: "PRI", bytes: preface)
        case 1:
            return Draft(label: "HTTP/0.9 request", method: "GET", bytes: Array("GET \(call.target)\r\n\r\n".utf8))
        case 2:
            var bytes = text(call).bytes()
            bytes.insert(contentsOf: HTTPText.crlf + HTTPText.crlf, at: 0)
            return Draft(label: "empty lines before the request line", method: call.method, bytes: bytes)
        default:
            let version = dice.pick([
                "HTTP/0.9", "HTTP/3.0", "HTTP/1.2", "HTTP/2", "HTTP/2.0", "HTTP/1.10", "HTTP/9.9", "HTTP/1", "http/1.1",
                "HTTP/1.1 extra", "HTTP/-1.1", "HTTPS/1.1", "HTTP/1.0", "HTTP/01.01", "HTTP/1.1\u{0}", "",
            ])
            return Draft(
                label: "version '\(HostileText.printable(version))'", method: call.method,
                bytes: text(call, version: version).bytes())
        }
    }

    private func strangeTarget(_ dice: inout HostileDice) -> Draft {
        var call = wellFormed(&dice)
        let path = call.target
        let port = targets.port
        var label = ""
        switch dice.below(24) {
        case 0: (label, call.target) = ("absolute form", "http://127.0.0.1:\(port)\(path)")
        case 1: (label, call.target) = ("absolute form, other host", "http://evil.example\(path)")
        case 2: (label, call.target) = ("absolute form, https", "https://127.0.0.1\(path)")
        case 3: (label, call.target) = ("absolute form with user info", "http://user:pass@127.0.0.1:\(port)\(path)")
        case 4: (label, call.target) = ("absolute form, ftp", "ftp://127.0.0.1\(path)")
        case 5: (label, call.method, call.target) = ("OPTIONS *", "OPTIONS", "*")
        case 6: (label, call.target) = ("asterisk", "*")
        case 7: (label, call.method, call.target) = ("CONNECT", "CONNECT", "127.0.0.1:\(port)")
        case 8: (label, call.method, call.target) = ("CONNECT elsewhere", "CONNECT", "evil.example:443")
        case 9: (label, call.target) = ("authority form", "127.0.0.1:80")
        case 10: (label, call.target) = ("empty target", "")
        case 11: (label, call.target) = ("no leading slash", String(path.dropFirst()))
        case 12: (label, call.target) = ("query only", "?live=true")
        case 13: (label, call.target) = ("fragment", path + "#fragment")
        case 14: (label, call.target) = ("fragment only", "#x")
        case 15: (label, call.target) = ("dot-dot segment", "/v2/tabletennis/../tabletennis/fixtures")
        case 16: (label, call.target) = ("path traversal", "/../../../etc/passwd")
        case 17: (label, call.target) = ("dot segment", "/./admin/fixtures")
        case 18: (label, call.target) = ("double slashes", path.replacingOccurrences(of: "/", with: "//"))
        case 19: (label, call.target) = ("trailing slash", path + "/")
        case 20: (label, call.target) = ("space in the path", "/v2/table tennis/fixtures")
        case 21: (label, call.target) = ("non-ASCII path", path + "/é漢")
        case 22: (label, call.target) = ("backslashes", path.replacingOccurrences(of: "/", with: "\\"))
        default: (label, call.target) = ("5,000 segments", String(repeating: "/a", count: 5_000))
        }
        return Draft(label: label, method: call.method, bytes: bytes(call))
    }

    private static let badPercents = [
        "%", "%z", "%zz", "%0", "%00", "%C3%28", "%ff%fe", "%E2%82", "%2F", "%2e%2e", "%25", "%u0041", "%%", "%GG",
        "%c0%af", "%ED%A0%80", "%F4%90%80%80", "%0A", "%0D%0A", "%20", "%7F", "%1B",
    ]

    private func badPercentEncoding(_ dice: inout HostileDice) -> Draft {
        let bad = dice.pick(Self.badPercents)
        let sport = dice.pick(Sport.allCases)
        switch dice.below(4) {
        case 0:
            let route = dice.pick([Route.fixture, .actions, .ingest, .adminFixture])
            var call = wellFormed(&dice, route: route, sport: sport)
            let id = targets.fixture(sport).wire
            call.target = path(route, sport: sport, id: dice.chance(0.5) ? bad : id + bad)
            return Draft(label: "\(bad) in a fixture id", method: call.method, bytes: bytes(call))
        case 1:
            var call = wellFormed(&dice, route: .fixtures, sport: sport)
            call.target = dice.pick([
                "/v2\(bad)/tabletennis/fixtures", "/v2%2Ftabletennis/fixtures", "/\(sport.pathSegment)\(bad)/fixtures",
                "/%76%32/tabletennis/fixtures", "/soccer/fix\(bad)tures",
            ])
            return Draft(label: "\(bad) in a path", method: call.method, bytes: bytes(call))
        case 2:
            let route = dice.pick([Route.fixtures, .actions])
            var call = wellFormed(&dice, route: route, sport: sport)
            let name = dice.pick(["live", "status", "sort", "page", "size", "dateFrom", "dateTo", "startPosition"])
            call.target += "?\(name)=\(dice.chance(0.5) ? bad : "1\(bad)")"
            call.headers.append(("paged", "true"))
            return Draft(label: "\(bad) in a query value", method: call.method, bytes: bytes(call))
        default:
            var call = wellFormed(&dice, route: .fixtures, sport: sport)
            call.target += dice.pick(["?\(bad)=1", "?live\(bad)=true", "?\(bad)", "?a=1&\(bad)&b=2"])
            return Draft(label: "\(bad) in a query name", method: call.method, bytes: bytes(call))
        }
    }

    private func randomBytes(_ dice: inout HostileDice) -> Draft {
        let length = dice.int(1...4_096)
        switch dice.below(4) {
        case 0:
            return Draft(label: "random bytes", method: "", bytes: dice.bytes(length))
        case 1:
            return Draft(label: "random printable text", method: "", bytes: dice.printableText(length))
        case 2:
            let route = dice.pick([Route.fixtures, .actions])
            let call = wellFormed(&dice, route: route)
            let line = Array("\(call.method) \(call.target) HTTP/1.1\r\n".utf8)
            return Draft(
                label: "request line, then random bytes", method: call.method,
                bytes: line + dice.bytes(length / 2) + Array("\r\n\r\n".utf8))
        default:
            return Draft(
                label: "random bytes ending in an empty line", method: "",
                bytes: dice.bytes(length / 2) + Array("\r\n\r\n".utf8))
        }
    }

    /// Requests that stop half way: each must be closed (or answered 408) once the server's header or body
    /// timeout has passed.
    private func incomplete(_ dice: inout HostileDice) -> Draft {
        switch dice.below(5) {
        case 0:
            let call = wellFormed(&dice)
            return Draft(label: "head without its empty line", method: call.method, bytes: text(call).unfinishedHead)
        case 1:
            let route = dice.pick([Route.ingest, .adminCreate])
            var call = wellFormed(&dice, route: route)
            if call.body.isEmpty { call.body = Array("{}".utf8) }
            var text = self.text(call, contentLength: false)
            text.lines.append(Array("Content-Length: \(call.body.count + 100)".utf8))
            return Draft(label: "body shorter than its Content-Length", method: call.method, bytes: text.bytes())
        case 2:
            let route = dice.pick([Route.ingest, .adminCreate])
            let call = wellFormed(&dice, route: route)
            var text = self.text(call, contentLength: false)
            text.lines.append(Array("Transfer-Encoding: chunked".utf8))
            text.body = Array("\(String(call.body.count, radix: 16))\r\n".utf8) + call.body + HTTPText.crlf
            return Draft(label: "chunked body without its last chunk", method: call.method, bytes: text.bytes())
        case 3:
            return Draft(label: "half a request line", method: "GET", bytes: Array("GET /v2/tabletennis/fi".utf8))
        default:
            return Draft(label: "nothing at all", method: "", bytes: [])
        }
    }

    private func badUpgrade(_ dice: inout HostileDice) -> Draft {
        var call = Call(
            method: "GET", target: "/v2/tabletennis/fixtures/\(targets.liveFixture.wire)/actions",
            headers: [
                ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Accept", "application/json"),
            ], body: [])
        let label: String
        switch dice.below(11) {
        case 0:
            label = "no Sec-WebSocket-Key"
            call.replaceHeader("Sec-WebSocket-Key", with: nil)
        case 1:
            label = "Sec-WebSocket-Version 99"
            call.replaceHeader("Sec-WebSocket-Version", with: "99")
        case 2:
            label = "key not base64"
            call.replaceHeader("Sec-WebSocket-Key", with: "not base64!")
        case 3:
            label = "Upgrade: h2c"
            call.replaceHeader("Upgrade", with: "h2c")
            call.headers.append(("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"))
        case 4:
            label = "Upgrade: websocket, h2c"
            call.replaceHeader("Upgrade", with: "websocket, h2c")
        case 5:
            label = "upgrade of a path that is no stream"
            call.target = "/v2/tabletennis/fixtures"
        case 6:
            label = "upgrade by POST with a body"
            call.method = "POST"
            call.body = Array("{\"authToken\":1}".utf8)
        case 7:
            label = "two keys"
            call.headers.append(("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA=="))
        case 8:
            label = "upgrade of an unknown fixture"
            call.target = "/v2/tabletennis/fixtures/\(dice.uuidText())/actions"
        case 9:
            label = "upgrade with startPosition=-1"
            call.target += "?startPosition=-1"
        default:
            label = "upgrade without Accept"
            call.replaceHeader("Accept", with: nil)
        }
        return Draft(label: label, method: call.method, bytes: bytes(call))
    }

    // MARK: Application level

    private func wrongMethod(_ dice: inout HostileDice) -> Draft {
        let route = dice.pick(Route.allCases)
        var call = wellFormed(&dice, route: route)
        let wrong: [String] =
            switch route {
            case .fixtures, .fixture, .actions: ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
            case .media: ["POST", "PUT", "DELETE", "PATCH", "HEAD"]
            case .ingest: ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
            case .adminCreate: ["GET", "PUT", "DELETE", "PATCH", "HEAD"]
            // Never DELETE: the fixture exists.
            case .adminFixture: ["GET", "PUT", "POST", "OPTIONS", "HEAD"]
            }
        call.method = dice.pick(wrong)
        if ["PUT", "POST", "PATCH"].contains(call.method), call.body.isEmpty {
            call.body = Array(dice.pick(Self.smallInvalidBodies).utf8)
        } else if !["PUT", "POST", "PATCH"].contains(call.method), dice.chance(0.5) {
            call.body = []
        }
        // An answer to HEAD has no body whatever its headers say: such a request gets a connection of its own.
        return Draft(
            label: "\(call.method) \(route)", method: call.method, bytes: bytes(call),
            ownConnection: call.method == "HEAD" ? true : nil)
    }

    private func badToken(_ dice: inout HostileDice) -> Draft {
        let route = dice.pick(Route.allCases)
        var call = wellFormed(&dice, route: route)
        call.replaceHeader("Authorization", with: nil)
        let valid = token(route)
        let other =
            route == .ingest || route == .adminCreate || route == .adminFixture ? targets.consumer : targets.scout
        var label = ""
        var values: [String] = []
        switch dice.below(19) {
        case 0: label = "no Authorization"
        case 1: (label, values) = ("bare Bearer", ["Bearer"])
        case 2: (label, values) = ("Bearer and a space", ["Bearer "])
        case 3: (label, values) = ("two spaces", ["Bearer  \(valid)"])
        case 4: (label, values) = ("lower-case scheme", ["bearer \(valid)"])
        case 5: (label, values) = ("upper-case scheme", ["BEARER \(valid)"])
        case 6: (label, values) = ("Basic", ["Basic dXNlcjpwYXNz"])
        case 7:
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            var unknown = "mw_"
            for _ in 0..<43 { unknown.append(dice.pick(alphabet)) }
            (label, values) = ("unknown token", ["Bearer \(unknown)"])
        case 8: (label, values) = ("token with a byte more", ["Bearer \(valid)x"])
        case 9: (label, values) = ("token with a byte less", ["Bearer \(valid.dropLast())"])
        case 10: (label, values) = ("10,000-byte token", ["Bearer " + String(repeating: "A", count: 10_000)])
        case 11: (label, values) = ("non-ASCII token", ["Bearer é漢字"])  // obs-text: HTTP-level, see below
        case 12: (label, values) = ("two tokens in one header", ["Bearer \(valid), Bearer \(other)"])
        case 13: (label, values) = ("a wrong token, then the right one", ["Bearer \(other)", "Bearer \(valid)"])
        case 14: (label, values) = ("the right token, then a wrong one", ["Bearer \(valid)", "Bearer mw_nope"])
        case 15: (label, values) = ("token of another role", ["Bearer \(other)"])
        case 16: (label, values) = ("SQL in the token", ["Bearer mw_' OR '1'='1"])
        case 17: (label, values) = ("Token scheme", ["Token \(valid)"])
        default: (label, values) = ("tab after Bearer", ["Bearer\t\(valid)"])
        }
        for value in values { call.headers.append(("Authorization", value)) }
        // Bytes above 0x7F in a header value are allowed (obs-text) but rare enough that a server may refuse the
        // head outright: that one is judged as HTTP-level garbage.
        let obsText = values.contains { !$0.allSatisfy(\.isASCII) }
        return Draft(
            label: "\(label) (\(route))", method: call.method, bytes: bytes(call), ownConnection: obsText ? true : nil,
            expectation: obsText ? .answerOrClose : nil)
    }

    private static let queryParts = [
        "startPosition=+5", "startPosition=-1", "startPosition=1e9", "startPosition=abc", "startPosition=",
        "startPosition=99999999999999999999", "startPosition=10000001", "page=-1", "page=1e9",
        "page=99999999999999999999999", "page=0x10", "page=+1", "page=", "page=1000001", "page=1.5", "page=%20",
        "size=0", "size=501", "size=1e9", "size=-5", "size=", "size=NaN", "pageSize=1e9", "pageSize=-1",
        "live=maybe", "live=TRUE", "live=", "live=true", "live=false", "live=true&status=completed", "live=1",
        "status=unknown", "status=LIVE", "status=", "status=live", "status=Scheduled", "status=cancelled",
        "dateFrom=2025-13-45", "dateFrom=2025-02-30", "dateTo=abc", "dateFrom=99999-01-01", "dateTo=2025-1-1",
        "dateFrom=-0001-01-01", "dateFrom=2025-06-01T00:00:00", "dateTo=", "sort=foo", "sort=name,sideways",
        "sort=,", "sort=name,asc,desc", "sort=", "sort=startTime,DESC", "sort=name", "sort=NAME", "speed=slow",
        "speed=fast", "a=b", "=x", "x=", "&&", "a==b", "live", "page", "%20=%20", "sort[]=name", "page[size]=5",
        "size=5;page=2", "utf=%C3%A9",
    ]

    private func badQuery(_ dice: inout HostileDice) -> Draft {
        let route: Route = dice.chance(0.6) ? .fixtures : dice.pick([Route.fixture, .actions, .media])
        var call = wellFormed(&dice, route: route)
        var parts: [String] = []
        for _ in 0..<dice.int(1...4) { parts.append(dice.pick(Self.queryParts)) }
        var label = parts.joined(separator: "&")
        if dice.chance(0.3) {
            let repeated = dice.pick(parts)
            let times = dice.int(1...50)
            parts += repeatElement(repeated, count: times)
            label += " + \(times) more \(repeated)"
        }
        if dice.chance(0.03) {
            let repeated = dice.pick(["sort=name", "sort=startTime,desc", "status=live", "page=1", "x=1"])
            let times = dice.int(500...3_000)
            parts += repeatElement(repeated, count: times)
            label += " + \(times) more \(repeated)"
        }
        if dice.chance(0.02) {
            parts.append("x=" + String(repeating: "y", count: dice.int(1_000...50_000)))
            label += " + a long value"
        }
        call.target += "?" + parts.joined(separator: "&")
        if dice.chance(0.5) { call.headers.append(("paged", dice.pick(["true", "true", "TRUE", "yes", "1", ""]))) }
        if dice.chance(0.1) { call.headers.append(("paged", "true")) }
        return Draft(label: HostileText.printable(label, limit: 120), method: call.method, bytes: bytes(call))
    }

    private func badAccept(_ dice: inout HostileDice) -> Draft {
        let route = dice.pick([Route.fixtures, .fixture, .actions])
        var call = wellFormed(&dice, route: route)
        let value: String? = dice.pick([
            nil, "text/html", "application/vnd.imggaming.dde.api+json;version=2",
            "application/vnd.imggaming.dde.api+json;version=1;version=2",
            "application/vnd.imggaming.dde.api+json; version=",
            ";;;", ",,,", "", "*/*;q=0", "APPLICATION/JSON", "application/*+json", "*", "application", "/",
            "text/html, application/xml;q=0.9", String(repeating: "text/html, ", count: 1_000) + "application/json",
            "application/json;q=abc", "application/json; charset=utf-16",
        ])
        call.replaceHeader("Accept", with: value)
        if dice.chance(0.2) { call.headers.append(("Accept", dice.pick(["text/html", "application/json"]))) }
        return Draft(
            label: "Accept '\(HostileText.printable(value ?? "(none)"))'", method: call.method, bytes: bytes(call))
    }

    private func badFixtureId(_ dice: inout HostileDice) -> Draft {
        let route = dice.pick([Route.fixture, .actions, .media, .ingest, .adminFixture])
        let sport = dice.pick(Sport.allCases)
        var call = wellFormed(&dice, route: route, sport: sport)
        // A DELETE only ever names a fixture that does not exist: the storm must leave every fixture as it was.
        let deleting = route == .adminFixture && dice.chance(0.3)
        let unknown = dice.uuidText()
        let wrapped = dice.uuidText()
        var ids = [
            unknown, "not-a-uuid", String(repeating: "a", count: 1_000), "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff", "-1", "0", "null", "%27%3B%20DROP%20TABLE%20fixtures%3B%20--",
            unknown.replacingOccurrences(of: "-", with: ""), "%7B\(wrapped)%7D", "%20",
        ]
        if !deleting {
            let existing = targets.fixture(sport).wire
            let other = targets.fixture(sport == .soccer ? .basketball : .soccer).wire
            ids += [
                existing.uppercased(), other, existing + "extra", existing + "%20", String(existing.dropLast()),
                existing + "/..",
            ]
        }
        let id = dice.pick(ids)
        call.target = path(route, sport: sport, id: id)
        if deleting {
            call.method = "DELETE"
            call.body = []
            call.replaceHeader("Content-Type", with: nil)
        }
        return Draft(
            label: "\(call.method) \(route) of '\(HostileText.printable(id))'", method: call.method, bytes: bytes(call))
    }

    private func badIngestBody(_ dice: inout HostileDice) -> Draft {
        let roll = dice.below(10)
        let sport: Sport = roll < 8 ? .tableTennis : roll == 8 ? .soccer : .basketball
        let id = dice.chance(0.9) ? targets.fixture(sport).wire : dice.uuidText()
        let (label, body) = invalidBody(&dice, route: .ingest)
        var call = Call(
            method: "POST", target: path(.ingest, sport: sport, id: id),
            headers: [("Authorization", "Bearer \(dice.chance(0.85) ? targets.scout : targets.admin)")], body: body)
        let label2 = addContentType(&call, &dice)
        return Draft(label: label + label2, method: call.method, bytes: bytes(call))
    }

    private func badAdminCreate(_ dice: inout HostileDice) -> Draft {
        let (label, body) = dice.chance(0.6) ? createShaped(&dice) : invalidBody(&dice, route: .adminCreate)
        var call = Call(
            method: "POST", target: "/admin/fixtures", headers: [("Authorization", "Bearer \(targets.admin)")],
            body: body)
        let label2 = addContentType(&call, &dice)
        return Draft(label: label + label2, method: call.method, bytes: bytes(call))
    }

    private func badAdminPatch(_ dice: inout HostileDice) -> Draft {
        let roll = dice.below(10)
        let id =
            roll < 5
            ? targets.liveFixture.wire
            : roll < 8 ? targets.fixture(dice.pick(Sport.allCases.filter { $0 != .tableTennis })).wire : dice.uuidText()
        let (label, body) = dice.chance(0.6) ? patchShaped(&dice) : invalidBody(&dice, route: .adminFixture)
        var call = Call(
            method: "PATCH", target: "/admin/fixtures/\(id)", headers: [("Authorization", "Bearer \(targets.admin)")],
            body: body)
        let label2 = addContentType(&call, &dice)
        return Draft(label: label + label2, method: call.method, bytes: bytes(call))
    }

    /// Mostly `application/json`; other types (and `Expect: 100-continue`) on small bodies only, so that a server
    /// that refuses them before reading the body is not taken for one that drops requests.
    private func addContentType(_ call: inout Call, _ dice: inout HostileDice) -> String {
        guard call.body.count < 65_536, dice.chance(0.25) else {
            call.headers.append(("Content-Type", "application/json"))
            return ""
        }
        var label = ""
        let type: String? = dice.pick([
            "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=----x",
            "application/json; charset=latin1", "", "application/json, text/plain",
            "application/vnd.imggaming.dde.api+json;version=1", nil, "application/json",
        ])
        if let type {
            call.headers.append(("Content-Type", type))
            label += ", Content-Type '\(type)'"
        } else {
            label += ", no Content-Type"
        }
        if dice.chance(0.2) {
            call.headers.append(("Content-Type", "text/plain"))
            label += " and text/plain"
        }
        if dice.chance(0.2) {
            call.headers.append(("Expect", "100-continue"))
            label += ", Expect: 100-continue"
        }
        return label
    }

    private func oversized(_ dice: inout HostileDice) -> Draft {
        let limit = targets.maxBodyBytes
        let length = dice.pick([limit + 1, limit * 2, limit * 10, Int(Int32.max), (1 << 32) + 1, 1 << 53])
        let (method, target, token): (String, String, String) =
            switch dice.below(3) {
            case 0: ("POST", "/ingest/v2/tabletennis/fixtures/\(targets.liveFixture.wire)/actions", targets.scout)
            case 1: ("POST", "/admin/fixtures", targets.admin)
            default: ("PATCH", "/admin/fixtures/\(targets.fixture(.soccer).wire)", targets.admin)
            }
        var head =
            "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(targets.port)\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(length)\r\n"
        var label = "Content-Length \(length) on \(method) \(target)"
        if dice.chance(0.3) {
            head += "Expect: 100-continue\r\n"
            label += ", Expect: 100-continue"
        }
        var bytes = Array((head + "\r\n").utf8)
        if dice.chance(0.3) {
            bytes += Array("[{\"actionId\":".utf8)
            label += ", the first bytes of the body"
        }
        // The answer must come from the head alone: the body is never sent.
        return Draft(label: label, method: method, bytes: bytes, ownConnection: true, expectation: .status(413))
    }

    private func control(_ dice: inout HostileDice) -> Draft {
        let headers: [(name: String, value: String)] = [
            ("Accept", Self.vendorType), ("Authorization", "Bearer \(targets.consumer)"),
        ]
        let live = targets.liveFixture.wire
        let (label, target, body): (String, String, [UInt8]?) =
            switch dice.below(3) {
            case 0:
                ("valid fixtures list", "/\(dice.pick(Sport.allCases).pathSegment)/fixtures", nil)
            case 1:
                ("valid fixture read", "/v2/tabletennis/fixtures/\(live)", targets.fixtureObject)
            default:
                ("valid actions list", "/v2/tabletennis/fixtures/\(live)/actions", targets.actionsList)
            }
        let call = Call(method: "GET", target: target, headers: headers, body: [])
        return Draft(label: label, method: "GET", bytes: bytes(call), expectation: .success(body: body))
    }

    // MARK: Bodies

    /// A body no ingest or admin route accepts, with what is wrong with it: every object that looks like an action
    /// has a field no action can have, so nothing of the storm is ever stored.
    private func invalidBody(_ dice: inout HostileDice, route: Route) -> (String, [UInt8]) {
        switch dice.below(route == .ingest ? 7 : 6) {
        case 0: malformedJSON(&dice)
        case 1: deepNesting(&dice, route: route)
        case 2: extremeNumbers(&dice, route: route)
        case 3: hugeString(&dice, route: route)
        case 4: invalidUTF8(&dice, route: route)
        case 5: wrongShape(&dice)
        default: partialArray(&dice)
        }
    }

    private static let malformed = [
        "", " ", "{", "}", "[", "]", "{\"actionId\":", "{'actionId': 1}", "{actionId: 1}", "[1,2,]", "{\"a\":1,}",
        "NaN", "Infinity", "-Infinity", "-", "01", "1.", ".5", "+1", "0x10", "tru", "nul", "\"unterminated",
        "{\"a\" 1}", "[1 2]", "{\"a\":1}}", "{\"a\":1} {\"b\":2}", "\u{FEFF}{}", "/* comment */ {}",
        "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"tab\there\"}", "{\"a\":\"new\nline\"}", "[\"\\ud800\"]",
        "{\"\\udc00\":1}", "{\"a\":\"\\\"}", "\u{0}", "{\"a\":1}\u{0}", "[1e]", "[1e+]", "[--1]", "[1.2.3]",
        "{\"a\":.}", "{,}", "[,]", ":", "\"\\", "{{}}", "[[]", "undefined", "{\"a\":undefined}", "<xml/>",
        "a=b&c=d", "{\"a\":1,\"a\":2}", "[\"\\uD834\\u0041\"]", "{\"actionId\":\"\\u0000\"}x",
    ]

    private func malformedJSON(_ dice: inout HostileDice) -> (String, [UInt8]) {
        let text = dice.pick(Self.malformed)
        return ("malformed JSON '\(HostileText.printable(text))'", Array(text.utf8))
    }

    private func deepNesting(_ dice: inout HostileDice, route: Route) -> (String, [UInt8]) {
        let depth = dice.chance(0.5) ? 10_000 : dice.int(65...20_000)
        let invalidField = route == .ingest ? "\"actionId\":\"not-a-uuid\"" : "\"sport\":\"curling\""
        switch dice.below(6) {
        case 0:
            return ("\(depth) unclosed [", Array(String(repeating: "[", count: depth).utf8))
        case 1:
            return (
                "\(depth) nested arrays",
                Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
            )
        case 2:
            return (
                "\(depth) nested objects",
                Array((String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)).utf8)
            )
        case 3:
            let inner =
                String(repeating: "[{\"a\":", count: depth / 2) + "1" + String(repeating: "}]", count: depth / 2)
            return ("\(depth) arrays and objects in a field", Array("{\(invalidField),\"metadata\":\(inner)}".utf8))
        case 4:
            // Deep but perhaps within a parser's bound.
            let shallow = dice.int(8...600)
            let inner = String(repeating: "[", count: shallow) + String(repeating: "]", count: shallow)
            return (
                "\(shallow) nested arrays in a field", Array("{\(invalidField),\"metadata\":{\"a\":\(inner)}}".utf8)
            )
        default:
            return ("\(depth) nested strings in arrays", Array((String(repeating: "[\"a\",", count: depth) + "1").utf8))
        }
    }

    private func extremeNumber(_ dice: inout HostileDice, anyField: Bool) -> String {
        switch dice.below(9) {
        case 0: return dice.digits(400)
        case 1: return "-" + dice.digits(400)
        case 2: return "0." + String(repeating: "0", count: 399) + "1"
        case 3: return "1" + String(repeating: "0", count: 400)
        case 4: return dice.digits(200) + "." + dice.digits(200) + "e-" + dice.digits(3)
        default:
            // None of these is a small positive integer, so none is an action type, send type, bestOf or period
            // count; `anyField` adds numbers that round to one, for fields whose value does not matter.
            var choices = [
                "1e308", "-1e308", "1.7976931348623157e308", "1e309", "-1e309", "5e-324", "4.9e-324", "1e-400",
                "2.5e-308", "-0", "-0.0", "0e0", "1E+99999", "1e-99999", "18446744073709551616",
                "-9223372036854775809", "9223372036854775807", "9223372036854775808",
                "123456789012345678901234567890.5", "-1", "0.5", "1e400000000000000000000",
            ]
            if anyField {
                choices += [
                    "1.0000000000000000000000000000000000000001", "1104.00000000000000000000000000000000001", "1E0",
                ]
            }
            return dice.pick(choices)
        }
    }

    private func extremeNumbers(_ dice: inout HostileDice, route: Route) -> (String, [UInt8]) {
        let number = extremeNumber(&dice, anyField: false)
        let other = extremeNumber(&dice, anyField: true)
        let label = "number \(HostileText.printable(number, limit: 40))"
        let text: String
        switch (route, dice.below(5)) {
        case (_, 0): text = number
        case (_, 1): text = "[\(number),\(other),\(number)]"
        case (.ingest, 2):
            text = "{\"actionId\":\"\(dice.uuidText())\",\"fixtureActionTypeId\":\(number)}"
        case (.ingest, 3):
            text =
                "{\"actionId\":\"\(dice.uuidText())\",\"fixtureActionTypeId\":\(number),\"sendTypeId\":\(other),"
                + "\"period\":\(other),\"fixtureActionSubTypeId\":\(other),\"metadata\":{\"value\":\(other)}}"
        case (.ingest, _):
            text = "{\"actionId\":\"\(dice.uuidText())\",\"fixtureActionType\":\"Let\",\"sendTypeId\":\(number)}"
        case (.adminCreate, 2):
            text =
                "{\"sport\":\"tabletennis\",\"startDateUTC\":\"2025-07-01T09:00:00\","
                + "\"teams\":[{\"name\":\"A\"},{\"name\":\"B\"}],\"rules\":{\"bestOf\":\(number)}}"
        case (.adminCreate, 3):
            text =
                "{\"sport\":\"tabletennis\",\"startDateUTC\":\(number),\"teams\":[{\"name\":\"A\"},{\"name\":\"B\"}]}"
        case (.adminCreate, _):
            text = "{\"sport\":\(number),\"startDateUTC\":\"2025-07-01T09:00:00\",\"teams\":[{\"name\":\(other)}]}"
        case (_, 2): text = "{\"rules\":{\"bestOf\":\(number),\"periods\":\(number)}}"
        case (_, 3): text = "{\"startDateUTC\":\(number)}"
        default: text = "{\"type\":\(number),\"rules\":{\"x\":\(other)}}"
        }
        return (label, Array(text.utf8))
    }

    private func hugeString(_ dice: inout HostileDice, route: Route) -> (String, [UInt8]) {
        // Below the 1 MiB body limit: the body is read whole, and refused for what it says.
        let length = dice.pick([10_000, 50_000, 200_000, 900_000])
        let content: String
        switch dice.below(4) {
        case 0: content = String(repeating: "a", count: length)
        case 1: content = String(repeating: "\\u00e9", count: length / 6)
        case 2: content = String(repeating: "é", count: length / 2)
        default: content = String(repeating: "\\\"", count: length / 2)
        }
        let label = "string of \(length) bytes"
        let text: String
        switch (route, dice.below(4)) {
        case (_, 0): text = "\"\(content)\""
        case (_, 1): text = "{\"\(content)\":1}"
        case (.ingest, 2): text = "{\"actionId\":\"\(content)\",\"fixtureActionTypeId\":1104}"
        case (.ingest, _):
            text = "{\"actionId\":\"\(dice.uuidText())\",\"fixtureActionType\":\"\(content)\",\"colour\":\"red\"}"
        case (.adminCreate, 2):
            text =
                "{\"sport\":\"tabletennis\",\"startDateUTC\":\"\(content)\","
                + "\"teams\":[{\"name\":\"A\"},{\"name\":\"B\"}]}"
        case (.adminCreate, _):
            text =
                "{\"sport\":\"tabletennis\",\"startDateUTC\":\"2025-07-01T09:00:00\","
                + "\"teams\":[{\"name\":\"\(content)\"}]}"
        case (_, 2): text = "{\"startDateUTC\":\"\(content)\"}"
        default: text = "{\"teams\":[{\"name\":\"\(content)\"}],\"colour\":\"red\"}"
        }
        return (label, Array(text.utf8))
    }

    private func invalidUTF8(_ dice: inout HostileDice, route: Route) -> (String, [UInt8]) {
        let sequences: [(String, [UInt8])] = [
            ("0xC3 0x28", [0xC3, 0x28]), ("0xFF", [0xFF]), ("surrogate", [0xED, 0xA0, 0x80]),
            ("overlong slash", [0xC0, 0xAF]), ("beyond U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
            ("truncated sequence", [0xE2, 0x82]), ("lone continuation", [0x80]), ("0xFE 0xFF", [0xFE, 0xFF]),
        ]
        let (name, bad) = dice.pick(sequences)
        let bytes: [UInt8]
        switch dice.below(4) {
        case 0:
            let field = route == .ingest ? "actionId" : "sport"
            bytes = Array("{\"\(field)\":\"a".utf8) + bad + Array("b\",\"fixtureActionTypeId\":1104}".utf8)
        case 1: bytes = Array("{\"".utf8) + bad + Array("\":1}".utf8)
        case 2: bytes = Array("[".utf8) + bad + Array("]".utf8)
        default: bytes = bad
        }
        return ("invalid UTF-8 (\(name))", bytes)
    }

    private func wrongShape(_ dice: inout HostileDice) -> (String, [UInt8]) {
        let id = dice.uuidText()
        let text = dice.pick([
            "null", "true", "false", "42", "-1", "\"string\"", "[]", "{}", "[[]]", "[null]", "[42]", "[{}]", "[{}, {}]",
            "{\"actionId\": 42}", "{\"actionId\": null, \"fixtureActionTypeId\": 4}",
            "{\"actionId\": \"\(id)\", \"fixtureActionTypeId\": \"4\"}",
            "{\"actionId\": \"\(id)\", \"fixtureActionTypeId\": [4]}",
            "{\"actionId\": {\"id\": \"\(id)\"}, \"fixtureActionTypeId\": 4}",
            "{\"actionId\": [\"\(id)\"], \"fixtureActionTypeId\": 4}",
            "{\"actions\": [{\"fixtureActionTypeId\": 4}]}",
            "{\"actionId\": \"\(id)\", \"fixtureActionTypeId\": 1104, \"team\": \"home\"}",
            "{\"actionId\": \"\(id)\", \"fixtureActionTypeId\": true}", "{\"actionId\": \"\(id)\"}",
            "{\"fixtureActionTypeId\": 1104}",
            "{\"actionId\": \"\(id)\", \"fixtureActionTypeId\": 1104, \"sendTypeId\": \"5\"}",
            "{\"actionId\": \"\(id)\", \"fixtureActionTypeId\": 1104, \"metadata\": []}",
            "{\"sport\": [\"tabletennis\"], \"teams\": {}}", "{\"teams\": null, \"type\": null, \"rules\": 7}",
        ])
        return ("wrong shape \(HostileText.printable(text))", Array(text.utf8))
    }

    /// Valid actions of the live fixture with one invalid element among them: the array must be refused whole.
    private func partialArray(_ dice: inout HostileDice) -> (String, [UInt8]) {
        var elements: [String] = []
        for _ in 0..<dice.int(1...20) {
            elements.append("{\"actionId\":\"\(dice.uuidText())\",\"fixtureActionTypeId\":1104}")
        }
        let number = extremeNumber(&dice, anyField: false)
        let id = dice.uuidText()
        let invalid = dice.pick([
            "{}", "42", "null", "[]", "{\"actionId\":\"\(id)\",\"fixtureActionTypeId\":\(number)}",
            "{\"actionId\":\"\(id)\",\"fixtureActionTypeId\":1104,\"colour\":\"red\"}",
            "{\"actionId\":\"not-a-uuid\",\"fixtureActionTypeId\":1104}",
            "{\"actionId\":\"\(id)\",\"fixtureActionTypeId\":99999}",
            "{\"actionId\":\"\(id)\",\"fixtureActionTypeId\":1102}",
        ])
        let position = dice.int(0...elements.count)
        elements.insert(invalid, at: position)
        return (
            "\(elements.count - 1) valid actions and an invalid one at \(position)",
            Array("[\(elements.joined(separator: ","))]".utf8)
        )
    }

    /// A fixture-create body with one to three faults, each enough to refuse it.
    private func createShaped(_ dice: inout HostileDice) -> (String, [UInt8]) {
        var fields = [
            ("sport", "\"tabletennis\""), ("startDateUTC", "\"2025-07-01T09:00:00\""),
            ("teams", "[{\"name\":\"A\"},{\"name\":\"B\"}]"),
        ]
        var faults: [String] = []
        for _ in 0..<dice.int(1...3) {
            let (key, value) = fixtureFault(&dice, creating: true)
            faults.append("\(key)=\(HostileText.printable(value, limit: 40))")
            if dice.chance(0.8), let index = fields.firstIndex(where: { $0.0 == key }) {
                fields[index].1 = value
            } else {
                fields.append((key, value))
            }
        }
        let text = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        return ("create with " + faults.joined(separator: ", "), Array(text.utf8))
    }

    /// A patch body with one to three faults, each enough to refuse it.
    private func patchShaped(_ dice: inout HostileDice) -> (String, [UInt8]) {
        var fields: [(String, String)] = dice.chance(0.5) ? [("type", "\"Training\"")] : []
        var faults: [String] = []
        for _ in 0..<dice.int(1...3) {
            let (key, value) = fixtureFault(&dice, creating: false)
            faults.append("\(key)=\(HostileText.printable(value, limit: 40))")
            if let index = fields.firstIndex(where: { $0.0 == key }) {
                fields[index].1 = value
            } else {
                fields.append((key, value))
            }
        }
        let text = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        return ("patch with " + faults.joined(separator: ", "), Array(text.utf8))
    }

    private func fixtureFault(_ dice: inout HostileDice, creating: Bool) -> (String, String) {
        // 0...24 are faults of both bodies, 25...27 of a patch only (a create may name its sport and id), 27...33 of
        // a create only.
        let roll = creating ? dice.pick(Array(0...24) + Array(27...33)) : dice.below(28)
        switch roll {
        case 0: return ("startDateUTC", "\"2025-02-30T09:00:00\"")
        case 1: return ("startDateUTC", "\"2025-13-01T00:00:00\"")
        case 2: return ("startDateUTC", "\"yesterday\"")
        case 3: return ("startDateUTC", extremeNumber(&dice, anyField: false))
        case 4: return ("startDateUTC", "\"2025-06-01T25:61:61\"")
        case 5: return ("startDateUTC", "\"\"")
        case 6: return ("teams", "[]")
        case 7: return ("teams", "[{\"name\":\"A\"}]")
        case 8: return ("teams", "[{\"name\":\"A\"},{\"name\":\"B\"},{\"name\":\"C\"}]")
        case 9: return ("teams", "\"A v B\"")
        case 10: return ("teams", "[{\"name\":42},{\"name\":\"B\"}]")
        case 11: return ("teams", "[{\"id\":\"nope\",\"name\":\"A\"},{\"name\":\"B\"}]")
        case 12: return ("teams", "[null,null]")
        case 13:
            return (
                "teams",
                "[{\"id\":\"\(dice.uuidText())\",\"name\":\"A\"},{\"id\":\"\(dice.uuidText())\",\"name\":\"B\"},{}]"
            )
        case 14: return ("rules", "{\"bestOf\":\(extremeNumber(&dice, anyField: false))}")
        case 15: return ("rules", "{\"bestOf\":4}")
        case 16: return ("rules", "\"rules\"")
        case 17: return ("rules", "[1]")
        case 18: return ("rules", "{\"bestOf\":\"3\"}")
        case 19: return ("type", "\"Friendly\"")
        case 20: return ("type", "42")
        case 21: return ("colour", "\"red\"")
        case 22: return ("competition", "\"WTT\"")
        case 23: return ("competition", "{\"name\":42}")
        case 24: return ("competition", "{\"id\":\"x\",\"name\":\"C\"}")
        case 25: return ("sport", "\"soccer\"")
        case 26: return ("id", "\"\(dice.uuidText())\"")
        case 27: return ("updateCount", "0")
        case 28: return ("sport", "\"curling\"")
        case 29: return ("sport", "42")
        case 30: return ("sport", "null")
        case 31: return ("id", "\"not-a-uuid\"")
        case 32: return ("id", "\"\(targets.liveFixture.wire)\"")
        default: return ("sport", "\"\"")
        }
    }
}
