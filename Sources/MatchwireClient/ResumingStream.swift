import Foundation
import HTTPTypes
import Logging
import MatchwireCore
import Synchronization
import WSClient

/// A consumer of one fixture's stream (its actions, `ResumingStream<Packet>`, or its statistics,
/// `ResumingStream<StatisticsSnapshot>`) that survives dropped connections: it reconnects with `startPosition` set
/// to the packets it has, and hands on every packet once, in order of their numbers, whatever the server resends.
public struct ResumingStream<Item: StreamItem>: Sendable {
    public enum Event: Sendable {
        /// The next packet, never one handed on before.
        case packet(Item)
        /// The connection was lost (`reason`); the stream connects again after `delay`.
        case reconnecting(reason: String, delay: Duration)
    }

    let url: String
    let token: String
    let startPosition: Int

    /// Websocket pings every 15 s: a connection that stops answering is closed and resumed.
    static var pingPeriod: Duration { .seconds(15) }
    /// The largest frame read; packets are a few KB.
    static var maxFrameSize: Int { 1 << 20 }
    /// Waits before reconnecting: doubling from the first, at most the last.
    static var firstDelay: Duration { .milliseconds(250) }
    static var longestDelay: Duration { .seconds(5) }

    /// `server` is the HTTP base URL (`http://host:port`); `speed` is `normal` or `fast` (replays only).
    public init(
        server: String, sport: Sport, fixtureId: UUID, token: String, media: Bool = false, speed: String? = nil,
        startPosition: Int = 0
    ) {
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasPrefix("https://") {
            base = "wss://" + base.dropFirst("https://".count)
        } else if base.hasPrefix("http://") {
            base = "ws://" + base.dropFirst("http://".count)
        }
        let path = (media ? "/media/" : "/") + "\(sport.pathSegment)/fixtures/\(fixtureId.wire)/\(Item.pathSegment)"
        url = base + path + (speed.map { "?speed=\($0)" } ?? "")
        self.token = token
        self.startPosition = startPosition
    }

    /// Runs until the packet with `finished: true` has been handed on (returns), the server refuses the token
    /// (throws `ClientError` with its message), or the task is cancelled.
    public func run(_ handle: @escaping @Sendable (Event) async throws -> Void) async throws {
        let progress = Progress(position: startPosition)
        var failures = 0
        while true {
            try Task.checkCancellation()
            let reason: String
            do {
                let outcome = try await connectOnce(progress: progress, handle: handle)
                switch outcome {
                case .finished: return
                case .refused(let message): throw ClientError(status: nil, message)
                case .dropped(let why): reason = why
                }
            } catch let error as ClientError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                reason = "\(error)"
            }
            failures = progress.takeAccepted() ? 1 : failures + 1
            let delay = min(Self.firstDelay * (1 << min(failures - 1, 10)), Self.longestDelay)
            try await handle(.reconnecting(reason: reason, delay: delay))
            try await Task.sleep(for: delay)
        }
    }

    private enum Outcome {
        case finished
        case refused(String)
        case dropped(String)
    }

    private func connectOnce(
        progress: Progress, handle: @escaping @Sendable (Event) async throws -> Void
    ) async throws -> Outcome {
        var logger = Logger(label: "matchwire-stream")
        logger.logLevel = .critical
        let position = progress.position
        let separator = url.contains("?") ? "&" : "?"
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: Self.maxFrameSize, additionalHeaders: [.accept: ServerClient.vendorType],
            autoPing: .enabled(timePeriod: Self.pingPeriod))
        let close = try await WebSocketClient.connect(
            url: url + separator + "startPosition=\(position)", configuration: configuration, logger: logger
        ) { inbound, outbound, _ in
            try await outbound.write(.text(#"{"authToken": "\#(token)"}"#))
            for try await message in inbound.messages(maxSize: Self.maxFrameSize) {
                guard case .text(let text) = message, let json = try? JSONValue.parse(Array(text.utf8)) else {
                    continue
                }
                if let level = json["level"]?.stringValue {
                    let said = json["message"]?.stringValue ?? text
                    if level == "ERROR" {
                        progress.refuse(said)
                    } else if said == "Authorisation accepted" {
                        progress.accept()
                    }
                    continue
                }
                let packet = try Item(json: json)
                let seqNum = packet.streamNumber
                if seqNum <= progress.position { continue }  // sent before the connection dropped
                guard seqNum == progress.position + 1 else {
                    progress.drop("packet \(seqNum) arrived after \(progress.position)")
                    return
                }
                try await handle(.packet(packet))
                progress.handed(seqNum, finished: packet.isLast)
                if packet.isLast { return }
            }
        }
        if progress.finished { return .finished }
        if let refusal = progress.refusal { return .refused(refusal) }
        if let why = progress.takeDropReason() { return .dropped(why) }
        return .dropped("closed with code \(close.map { "\($0.closeCode)" } ?? "none")")
    }
}

/// What a stream has handed on, shared between its connections.
private final class Progress: Sendable {
    private struct State {
        var position: Int
        var finished = false
        var accepted = false
        var refusal: String?
        var dropReason: String?
    }

    private let state: Mutex<State>

    init(position: Int) {
        state = Mutex(State(position: position))
    }

    var position: Int { state.withLock { $0.position } }
    var finished: Bool { state.withLock { $0.finished } }
    var refusal: String? { state.withLock { $0.refusal } }

    func handed(_ seqNum: Int, finished: Bool) {
        state.withLock {
            $0.position = seqNum
            $0.finished = finished
        }
    }

    func accept() { state.withLock { $0.accepted = true } }
    func refuse(_ message: String) { state.withLock { $0.refusal = message } }
    func drop(_ reason: String) { state.withLock { $0.dropReason = reason } }

    /// Whether the last connection's token was accepted, forgotten for the next connection.
    func takeAccepted() -> Bool {
        state.withLock { state in
            defer { state.accepted = false }
            return state.accepted
        }
    }

    func takeDropReason() -> String? {
        state.withLock { state in
            defer { state.dropReason = nil }
            return state.dropReason
        }
    }
}
