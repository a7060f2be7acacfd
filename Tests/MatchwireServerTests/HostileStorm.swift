import Foundation
import MatchwireCore
import Synchronization

/// An answer as the hostile-input test read it off the socket.
struct HostileAnswer {
    let status: Int
    /// Names in lower case.
    let headers: [(name: String, value: String)]
    let body: [UInt8]
    /// The server said it closes the connection after this answer (or the answer ran to the close).
    let closes: Bool
}

/// How one request ended.
enum HostileOutcome {
    case answered(HostileAnswer)
    /// The server closed the connection (or reset it) before a whole answer came; `received` is what came.
    case closed(received: [UInt8], whileSending: Bool)
    /// Nothing more came before the deadline, and the connection stayed open.
    case timedOut(received: [UInt8], whileSending: Bool)
    /// Bytes came that are not an HTTP/1.1 answer.
    case malformed(String, received: [UInt8])
    /// No connection could be made.
    case unreachable
}

/// A TCP connection to the loopback server whose every wait ends by a deadline. Unlike `RawConnection` it never
/// blocks past the deadline (a server that stops reading cannot hold a send), never raises SIGPIPE, and reads
/// whole HTTP/1.1 answers, so that a request can be told answered, closed, or left hanging.
final class HostileSocket {
    private let descriptor: Int32
    /// Bytes received and not yet taken as part of an answer.
    private var buffer: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: 65_536)

    #if os(Linux)
        private static let sendFlags = CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT)
    #else
        private static let sendFlags = CInt(MSG_DONTWAIT)
    #endif
    private static let receiveFlags = CInt(MSG_DONTWAIT)

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// A connection to the loopback port, or nil when none can be made.
    static func dial(port: Int) -> HostileSocket? {
        guard let descriptor = connectToLoopback(port: port) else { return nil }
        return HostileSocket(descriptor: descriptor)
    }

    /// Sends a request and reads its answer, all before `deadline`. `reusable`: the connection may carry another
    /// request (the whole request went out, a whole answer came, and the server keeps the connection).
    func exchange(_ request: [UInt8], method: String, until deadline: ContinuousClock.Instant) -> (
        outcome: HostileOutcome, reusable: Bool
    ) {
        switch transmit(request, until: deadline) {
        case .sent:
            let outcome = readAnswer(method: method, until: deadline)
            if case .answered(let answer) = outcome { return (outcome, !answer.closes && buffer.isEmpty) }
            return (outcome, false)
        case .answeredEarly:
            // The server stopped reading and answered: the rest of the request is never sent.
            return (readAnswer(method: method, until: deadline), false)
        case .closed:
            // The server closed while the request went out; it may have answered first.
            switch readAnswer(method: method, until: deadline) {
            case .closed(let received, _): return (.closed(received: received, whileSending: true), false)
            case let outcome: return (outcome, false)
            }
        case .timedOut:
            return (.timedOut(received: buffer, whileSending: true), false)
        }
    }

    /// What the server sent since the last answer, without waiting, and whether the connection is still open.
    func unasked() -> (bytes: [UInt8], open: Bool) {
        var open = true
        reading: while true {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 0) > 0 else { break }
            switch receive() {
            case .more: continue reading
            case .wouldBlock: break reading
            case .closed:
                open = false
                break reading
            }
        }
        let bytes = buffer
        buffer = []
        return (bytes, open)
    }

    // MARK: Sending

    private enum Sending { case sent, answeredEarly, closed, timedOut }

    private func transmit(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) -> Sending {
        var offset = 0
        while offset < bytes.count {
            guard let events = ready(for: Int16(POLLOUT) | Int16(POLLIN), until: deadline) else { return .timedOut }
            if events & Int16(POLLOUT) == 0 {
                guard events & Int16(POLLIN) != 0 else { return .closed }  // hang-up or error
                // Not writable, and bytes came: a final answer means the server stopped reading and answered; an
                // interim one (100 Continue) leaves it for readAnswer, and the sending goes on.
                if case .closed = receive() { return .closed }
                if finalAnswerBuffered { return .answeredEarly }
                continue
            }
            let fd = descriptor
            let sent = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Self.sendFlags)
            }
            if sent > 0 {
                offset += sent
            } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                continue
            } else {
                return .closed
            }
        }
        return .sent
    }

    /// Whether the buffer holds the whole head of a final answer, after any interim (1xx) ones.
    private var finalAnswerBuffered: Bool {
        var rest = buffer[...]
        while let end = Self.find(Self.emptyLine, in: Array(rest)) {
            let statusLine = String(decoding: rest.prefix(12), as: UTF8.self)
            // Not an HTTP/1.x status line: readAnswer says what is wrong with it.
            guard statusLine.count == 12, statusLine.hasPrefix("HTTP/1.") else { return true }
            let status = statusLine.dropFirst(9)
            if !status.hasPrefix("1") || status == "101" { return true }
            rest = rest.dropFirst(end + 4)
        }
        return false
    }

    // MARK: Receiving

    private enum Receiving { case more, wouldBlock, closed }

    /// One `recv` without waiting.
    private func receive() -> Receiving {
        let fd = descriptor
        let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Self.receiveFlags) }
        if count > 0 {
            buffer.append(contentsOf: scratch[0..<count])
            return .more
        }
        if count == 0 { return .closed }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .wouldBlock }
        return .closed  // reset, or another failure: the connection is gone
    }

    private enum Ending { case closed, timedOut }

    /// Receives until `done()` holds; nil then, else how the wait ended.
    private func receive(until deadline: ContinuousClock.Instant, _ done: () -> Bool) -> Ending? {
        while !done() {
            guard ready(for: Int16(POLLIN), until: deadline) != nil else { return .timedOut }
            if case .closed = receive() { return done() ? nil : .closed }
        }
        return nil
    }

    /// The events the socket is ready for (or has: hang-up, error), nil once the deadline passed first.
    private func ready(for events: Int16, until deadline: ContinuousClock.Instant) -> Int16? {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000 + 1)
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let result = poll(&entry, 1, milliseconds)
            if result > 0 { return entry.revents }
            if result < 0, errno != EINTR { return Int16(POLLERR) }
        }
    }

    private static let crlf: [UInt8] = [13, 10]
    private static let emptyLine: [UInt8] = [13, 10, 13, 10]

    private static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        var index = 0
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0] {
                var match = true
                var offset = 1
                while offset < pattern.count {
                    if bytes[index + offset] != pattern[offset] {
                        match = false
                        break
                    }
                    offset += 1
                }
                if match { return index }
            }
            index += 1
        }
        return nil
    }

    /// Reads one final answer (interim 1xx answers other than 101 are skipped), its body by `Content-Length`,
    /// chunked, or up to the close.
    private func readAnswer(method: String, until deadline: ContinuousClock.Instant) -> HostileOutcome {
        /// Every byte of this answer taken from the buffer so far, for a message if it ends half way.
        var taken: [UInt8] = []
        func take(_ count: Int) -> [UInt8] {
            let bytes = Array(buffer[0..<count])
            buffer.removeFirst(count)
            taken += bytes
            return bytes
        }
        func ended(_ ending: Ending) -> HostileOutcome {
            switch ending {
            case .closed: .closed(received: taken + buffer, whileSending: false)
            case .timedOut: .timedOut(received: taken + buffer, whileSending: false)
            }
        }

        while true {
            var headEnd = 0
            if let ending = receive(
                until: deadline,
                {
                    if let end = Self.find(Self.emptyLine, in: buffer) {
                        headEnd = end
                        return true
                    }
                    return buffer.count > 1 << 20
                })
            {
                return ended(ending)
            }
            guard headEnd > 0 || Self.find(Self.emptyLine, in: buffer) == 0 else {
                return .malformed("no end of head in the first MiB", received: Array(buffer.prefix(300)))
            }
            let head = String(decoding: take(headEnd + 4).dropLast(4), as: UTF8.self)
            let lines = head.components(separatedBy: "\r\n")
            let parts = lines[0].split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]),
                status >= 100
            else {
                return .malformed("status line '\(lines[0])'", received: taken)
            }
            var headers: [(name: String, value: String)] = []
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else {
                    return .malformed("header line '\(line)'", received: taken)
                }
                headers.append(
                    (
                        line[..<colon].lowercased(),
                        line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    ))
            }
            if (100..<200).contains(status), status != 101 { continue }  // 100 Continue and the like
            let answer = { (body: [UInt8], toTheClose: Bool) -> HostileAnswer in
                let connection = headers.last { $0.name == "connection" }?.value.lowercased() ?? ""
                let closes =
                    toTheClose || connection.contains("close")
                    || (parts[0] == "HTTP/1.0" && !connection.contains("keep-alive"))
                return HostileAnswer(status: status, headers: headers, body: body, closes: closes)
            }
            let value = { (name: String) in headers.last { $0.name == name }?.value }

            if method == "HEAD" || status == 101 || status == 204 || status == 304 {
                return .answered(answer([], status == 101))
            }
            if let coding = value("transfer-encoding"), coding.lowercased().contains("chunked") {
                var body: [UInt8] = []
                while true {
                    var lineEnd = 0
                    if let ending = receive(
                        until: deadline,
                        {
                            guard let end = Self.find(Self.crlf, in: buffer) else { return false }
                            lineEnd = end
                            return true
                        })
                    {
                        return ended(ending)
                    }
                    let sizeLine = String(decoding: take(lineEnd + 2).dropLast(2), as: UTF8.self)
                    let sizeText =
                        sizeLine.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                    guard let size = Int(sizeText, radix: 16), size >= 0 else {
                        return .malformed("chunk size '\(sizeLine)'", received: taken)
                    }
                    if size == 0 {
                        // Trailers, up to an empty line.
                        while true {
                            var trailerEnd = 0
                            if let ending = receive(
                                until: deadline,
                                {
                                    guard let end = Self.find(Self.crlf, in: buffer) else { return false }
                                    trailerEnd = end
                                    return true
                                })
                            {
                                return ended(ending)
                            }
                            _ = take(trailerEnd + 2)
                            if trailerEnd == 0 { break }
                        }
                        return .answered(answer(body, false))
                    }
                    if let ending = receive(until: deadline, { buffer.count >= size + 2 }) { return ended(ending) }
                    body += take(size + 2).dropLast(2)
                }
            }
            if let lengthText = value("content-length") {
                guard let length = Int(lengthText), length >= 0 else {
                    return .malformed("Content-Length '\(lengthText)'", received: taken)
                }
                if let ending = receive(until: deadline, { buffer.count >= length }) { return ended(ending) }
                return .answered(answer(take(length), false))
            }
            // Neither length nor chunks: the body runs to the close.
            if let ending = receive(until: deadline, { false }), case .timedOut = ending { return ended(ending) }
            return .answered(answer(take(buffer.count), true))
        }
    }
}

/// Which requests a storm sends, from the environment: `MATCHWIRE_HOSTILE_SEED` (hex), `MATCHWIRE_HOSTILE_COUNT`, or
/// `MATCHWIRE_HOSTILE_INDEX` to send one request of the seed's storm alone.
struct HostilePlan: Sendable {
    static let defaultSeed: UInt64 = 0x4D61_7463_6877_6972  // "Matchwir"

    let seed: UInt64
    let indexes: [Int]

    var seedText: String { "0x" + String(seed, radix: 16) }

    static func fromEnvironment(defaultCount: Int) -> HostilePlan {
        let environment = ProcessInfo.processInfo.environment
        let seed =
            environment["MATCHWIRE_HOSTILE_SEED"].flatMap { text in
                UInt64(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16)
            } ?? defaultSeed
        if let index = environment["MATCHWIRE_HOSTILE_INDEX"].flatMap({ Int($0) }) {
            return HostilePlan(seed: seed, indexes: [index])
        }
        let count = environment["MATCHWIRE_HOSTILE_COUNT"].flatMap { Int($0) } ?? defaultCount
        return HostilePlan(seed: seed, indexes: Array(0..<count))
    }

    /// How to send request `index` again alone.
    func replay(_ index: Int) -> String {
        "MATCHWIRE_HOSTILE_SEED=\(seedText) MATCHWIRE_HOSTILE_INDEX=\(index) swift test --filter HostileInputTests"
    }
}

/// Sends a plan's requests from a few threads at once, each with its own kept-alive connection for well-formed
/// requests, judges every outcome, and counts.
final class HostileStorm: Sendable {
    struct Report: Sendable {
        let summary: String
        /// One entry per kind of failure: how many, and the first request that failed so.
        let failures: [String]
        let failureCount: Int
        let sent: Int
    }

    /// Texts an error answer must never show: the parser's, the decoder's, the runtime's own words.
    static let leaks = [
        "DecodingError", "HTTPParserError", "NIO", "Swift.", "Error Domain", "NSCocoaErrorDomain", "dataCorrupted",
        "codingPath", "debugDescription", "underlyingError", "Optional(", "Fatal error", "llhttp", "HPE_",
        "Hummingbird", "SQLite", "sqlite", "Foundation.", "JSONSyntaxError",
    ]

    /// 5xx statuses the storm accepts: the answers the protocol prescribes for what the server does not implement,
    /// 501 for an unknown method or transfer coding (RFC 9110 §15.6.2, RFC 9112 §6.1, and issue 13 itself) and
    /// 505 for an HTTP version it does not serve. No other 5xx: not 500, 502, 503 (no overload here) nor 504.
    static let tolerated5xx: Set<Int> = [501, 505]

    private struct Tally {
        var next = 0
        var sent = 0
        var stopped = false
        var finishedThreads = 0
        var kinds: [HostileKind: Int] = [:]
        var statuses: [Int: Int] = [:]
        var answered = 0
        var closed = 0
        var retried = 0
        var hangs = 0
        var slowest: (elapsed: Duration, request: String) = (.zero, "")
        var failureCount = 0
        /// The first failure of each kind, by key, in the order they were met.
        var failureKeys: [String] = []
        var failures: [String: (count: Int, first: String)] = [:]
    }

    let generator: HostileRequestGenerator
    let plan: HostilePlan
    /// How long each request may take to be answered or closed.
    let bound: Duration
    /// How long the whole storm may take.
    let budget: Duration
    /// After this many requests neither answered nor closed in time, the storm stops: each costs `bound`.
    let maxHangs = 16
    private let tally = Mutex(Tally())

    init(generator: HostileRequestGenerator, plan: HostilePlan, bound: Duration, budget: Duration) {
        self.generator = generator
        self.plan = plan
        self.bound = bound
        self.budget = budget
    }

    private var port: Int { generator.targets.port }

    /// Runs the storm on `connections` threads of its own (their socket calls block, so never on the threads that
    /// run the server's tasks) and returns when all have stopped.
    func run(connections: Int) async -> Report {
        let started = ContinuousClock.now
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for _ in 0..<connections {
                Thread { [self] in
                    work(until: started + budget)
                    let last = tally.withLock { tally -> Bool in
                        tally.finishedThreads += 1
                        return tally.finishedThreads == connections
                    }
                    if last { done.resume() }
                }.start()
            }
        }
        return report(elapsed: .now - started, connections: connections)
    }

    // MARK: One thread

    private func work(until end: ContinuousClock.Instant) {
        var kept: HostileSocket?
        var keptSince = ContinuousClock.now
        while let index = nextIndex(end: end) {
            let request = generator.request(index)
            // A kept connection idle for long may be closed by the server's idle timeout as the request goes out.
            if kept != nil, ContinuousClock.now - keptSince > .seconds(1) { kept = nil }
            let result = exchange(request, kept: &kept)
            if !request.ownConnection { keptSince = .now }
            record(request, result)
        }
    }

    private func nextIndex(end: ContinuousClock.Instant) -> Int? {
        tally.withLock { tally -> Int? in
            guard !tally.stopped, tally.next < plan.indexes.count else { return nil }
            if ContinuousClock.now > end {
                tally.stopped = true
                tally.failureCount += 1
                let text =
                    "the storm did not finish within \(budget): \(tally.next) of \(plan.indexes.count) requests sent"
                tally.failureKeys.append(text)
                tally.failures[text] = (1, text)
                return nil
            }
            tally.next += 1
            return plan.indexes[tally.next - 1]
        }
    }

    private struct Exchange {
        var outcome: HostileOutcome
        var elapsed: Duration
        var retried = false
        /// Bytes the server sent on the kept connection after the previous answer, before this request.
        var unasked: [UInt8] = []
    }

    private func exchange(_ request: HostileRequest, kept: inout HostileSocket?) -> Exchange {
        let started = ContinuousClock.now
        if request.ownConnection {
            guard let socket = HostileSocket.dial(port: port) else {
                return Exchange(outcome: .unreachable, elapsed: .now - started)
            }
            let result = socket.exchange(request.bytes, method: request.method, until: started + bound)
            return Exchange(outcome: result.outcome, elapsed: .now - started)
        }
        var unasked: [UInt8] = []
        var reused = false
        if let socket = kept {
            let pending = socket.unasked()
            unasked = pending.bytes
            if pending.open, pending.bytes.isEmpty { reused = true } else { kept = nil }
        }
        if kept == nil { kept = HostileSocket.dial(port: port) }
        guard let socket = kept else { return Exchange(outcome: .unreachable, elapsed: .now - started) }
        var result = socket.exchange(request.bytes, method: request.method, until: started + bound)
        var retried = false
        if reused, case .closed(let received, _) = result.outcome, received.isEmpty {
            // The server closed the kept connection as the request went out (an idle timeout, or the end of its
            // previous answer): a client sends it again on a new connection.
            retried = true
            kept = HostileSocket.dial(port: port)
            guard let fresh = kept else { return Exchange(outcome: .unreachable, elapsed: .now - started) }
            result = fresh.exchange(request.bytes, method: request.method, until: .now + bound)
        }
        if !result.reusable { kept = nil }
        return Exchange(outcome: result.outcome, elapsed: .now - started, retried: retried, unasked: unasked)
    }

    // MARK: Judging

    /// What is wrong with an outcome, as (a short key naming the kind of failure, the details); nil when it is right.
    private func problem(_ request: HostileRequest, _ exchange: Exchange) -> (key: String, detail: String)? {
        if !exchange.unasked.isEmpty, !exchange.unasked.starts(with: Array("HTTP/1.1 408".utf8)) {
            return (
                "bytes nobody asked for on a kept-alive connection",
                "after answering the previous request on this connection, the server sent: "
                    + HostileText.printable(exchange.unasked, limit: 300)
            )
        }
        switch exchange.outcome {
        case .unreachable:
            return ("no connection", "the server accepted no connection")
        case .malformed(let why, let received):
            return ("not an HTTP/1.1 answer", "\(why): \(HostileText.printable(received, limit: 300))")
        case .timedOut(let received, let whileSending):
            let what =
                whileSending
                ? "neither read the whole request nor answered nor closed"
                : "neither answered nor closed the connection"
            return (
                "no answer and no close within \(bound)",
                "\(what) within \(bound)"
                    + (received.isEmpty
                        ? "" : "; part of an answer came: \(HostileText.printable(received, limit: 200))")
            )
        case .closed(let received, let whileSending):
            if !received.isEmpty {
                return (
                    "closed in the middle of an answer",
                    "the connection closed after \(received.count) bytes of an answer: "
                        + HostileText.printable(received, limit: 300)
                )
            }
            if request.expectation == .answerOrClose { return nil }
            return (
                "closed without an answer",
                "the server closed the connection without answering this well-formed request"
                    + (whileSending ? " (while it was being sent)" : "") + (exchange.retried ? ", twice" : "")
            )
        case .answered(let answer):
            let body = HostileText.printable(answer.body, limit: 300)
            if answer.status >= 500, !Self.tolerated5xx.contains(answer.status) {
                return ("answered \(answer.status)", "answered \(answer.status): \(body)")
            }
            switch request.expectation {
            case .status(let expected) where answer.status != expected:
                return (
                    "answered \(answer.status), not \(expected)", "answered \(answer.status), not \(expected): \(body)"
                )
            case .success(let expected):
                if answer.status != 200 {
                    return ("a valid read answered \(answer.status)", "answered \(answer.status): \(body)")
                }
                if let expected, answer.body != expected {
                    return (
                        "a valid read gave other bytes",
                        "answered 200 with other bytes than before the storm: \(body)"
                    )
                }
            default:
                break
            }
            if answer.status >= 400, !answer.body.isEmpty {
                guard let json = try? JSONValue.parse(answer.body), let message = json["errorMessage"]?.stringValue
                else {
                    return (
                        "error answer without {\"errorMessage\"}", "answered \(answer.status) with the body: \(body)"
                    )
                }
                if message.isEmpty {
                    return ("empty errorMessage", "answered \(answer.status) with an empty errorMessage")
                }
                if let leak = Self.leaks.first(where: { message.contains($0) }) {
                    return ("errorMessage shows '\(leak)'", "answered \(answer.status): \(message)")
                }
            }
            return nil
        }
    }

    private func record(_ request: HostileRequest, _ exchange: Exchange) {
        let found = problem(request, exchange)
        tally.withLock { tally in
            tally.sent += 1
            tally.kinds[request.kind, default: 0] += 1
            switch exchange.outcome {
            case .answered(let answer):
                tally.answered += 1
                tally.statuses[answer.status, default: 0] += 1
            case .closed:
                tally.closed += 1
            case .timedOut:
                tally.hangs += 1
                if tally.hangs >= maxHangs { tally.stopped = true }
            case .malformed, .unreachable:
                break
            }
            if exchange.retried { tally.retried += 1 }
            if exchange.elapsed > tally.slowest.elapsed {
                tally.slowest = (exchange.elapsed, "#\(request.index) \(request.kind.rawValue): \(request.label)")
            }
            guard let found else { return }
            tally.failureCount += 1
            let key = "\(request.kind.rawValue): \(found.key)"
            if let known = tally.failures[key] {
                tally.failures[key] = (known.count + 1, known.first)
            } else {
                tally.failureKeys.append(key)
                tally.failures[key] = (
                    1,
                    "request #\(request.index) (\(request.kind.rawValue): \(request.label)): \(found.detail), "
                        + "after \(Self.seconds(exchange.elapsed)). Request: \(request.excerpt). Replay: "
                        + plan.replay(request.index)
                )
            }
        }
    }

    // MARK: Report

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) + Double(attoseconds) * 1e-18
        return "\((value * 100).rounded() / 100) s"
    }

    private func report(elapsed: Duration, connections: Int) -> Report {
        tally.withLock { tally -> Report in
            let kinds = HostileKind.allCases.compactMap { kind in tally.kinds[kind].map { "\(kind.rawValue) \($0)" } }
            let statuses = tally.statuses.keys.sorted().map { "\($0): \(tally.statuses[$0]!)" }
            let summary = """
                Hostile input, seed \(plan.seedText): \(tally.sent) of \(plan.indexes.count) requests in \
                \(Self.seconds(elapsed)), \(connections) connections at a time. Answered \(tally.answered), closed \
                without an answer \(tally.closed), neither within \(bound) \(tally.hangs); \(tally.retried) sent again \
                on a new connection; \(tally.failureCount) failed.
                  kinds: \(kinds.joined(separator: ", "))
                  statuses: \(statuses.joined(separator: ", "))
                  slowest: \(Self.seconds(tally.slowest.elapsed)) (\(tally.slowest.request))
                """
            let failures = tally.failureKeys.map { key -> String in
                let failure = tally.failures[key]!
                return "[seed \(plan.seedText)] \(key): \(failure.count) time(s); first: \(failure.first)"
            }
            return Report(summary: summary, failures: failures, failureCount: tally.failureCount, sent: tally.sent)
        }
    }
}
