import Foundation
import WSCore
import Logging
import MatchwireCore
import MatchwireStore
import NIOCore
import NIOWebSocket

/// One websocket stream, from the upgrade to the close frame (protocol.md §3).
///
/// Four things run side by side: the reader (the client's frames: the auth message, then ignored; pings and
/// the close handshake are answered underneath), the auth exchange followed by heartbeats and packet delivery,
/// and the wait for an ending from outside (shutdown, a full queue). The first to finish decides how the
/// stream ends; the others are cancelled, then the close frame is sent.
struct StreamSession: Sendable {
    let request: StreamRequest
    let configuration: ServerConfiguration
    let store: any EventStore
    let access: AccessControl
    let hub: StreamHub
    let channel: any Channel
    let logger: Logger

    /// The largest frame a client may send (its auth message); larger ones are closed with 1009.
    static let maximumClientFrame = 16 * 1024
    /// The kernel send buffer of a stream socket: with the subscriber queue, what a slow client may hold up.
    static let socketSendBuffer = 64 * 1024
    /// Stored packets read at once for a backlog or a replay.
    static let backlogBatch = 500

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        guard let stream = hub.open() else {
            await close(.goingAway, outbound)
            return
        }
        defer { hub.close(stream, fixtureId: request.fixtureId) }
        _ = try? await channel.setOption(.socketOption(.so_sndbuf), value: Self.socketSendBuffer).get()
        let (messages, messageSink) = AsyncStream.makeStream(of: WebSocketMessage.self)
        let end = await firstToFinish(
            otherwise: StreamEnd.clientClosed,
            {
                do {
                    // Only the first message matters (the auth message); the rest is read and dropped, so that
                    // pings and the close handshake are still answered.
                    for try await message in inbound.messages(maxSize: Self.maximumClientFrame) {
                        messageSink.yield(message)
                        messageSink.finish()
                    }
                } catch {
                    logger.debug("stream read failed: \(error)")
                }
                messageSink.finish()
                return StreamEnd.clientClosed
            },
            {
                for await reason in stream.endings { return reason }
                return .clientClosed
            },
            {
                guard case .accepted = await authenticate(messages, outbound) else { return .authentication }
                return await serve(stream, outbound)
            })
        logger.debug("stream of \(request.fixtureId.wire) ended: \(end)")
        await close(end, outbound)
    }

    // MARK: Auth exchange

    private enum Authentication { case accepted, refused }

    /// Waits for the first message, checks its token and answers INFO or ERROR.
    private func authenticate(_ messages: AsyncStream<WebSocketMessage>, _ outbound: WebSocketOutboundWriter) async
        -> Authentication
    {
        let first = await firstToFinish(
            otherwise: FirstMessage.none,
            {
                var iterator = messages.makeAsyncIterator()
                return await iterator.next().map(FirstMessage.message) ?? .none
            },
            {
                try? await Task.sleep(for: .seconds(configuration.authTimeout))
                return FirstMessage.timeout
            })
        let refusal: String
        switch first {
        case .none:
            return .refused
        case .timeout:
            refusal = ControlMessage.error(
                "No authentication message was received within \(configuration.authTimeout.secondsText) seconds.")
        case .message(.binary):
            refusal = ControlMessage.incorrectFormat
        case .message(.text(let text)):
            guard let json = try? JSONValue.parse(Array(text.utf8)), let token = json["authToken"]?.stringValue else {
                refusal = ControlMessage.incorrectFormat
                break
            }
            do {
                _ = try await access.authorizeStream(token, feed: request.feed, sport: request.sport)
                return await write(ControlMessage.accepted, outbound) ? .accepted : .refused
            } catch let error as APIError {
                refusal = ControlMessage.error(error.message)
            } catch {
                logger.error("stream authentication failed: \(error)")
                refusal = ControlMessage.error("The server could not check the token; try again.")
            }
        }
        _ = await write(refusal, outbound)
        return .refused
    }

    private enum FirstMessage: Sendable {
        case message(WebSocketMessage)
        case timeout
        case none
    }

    // MARK: Heartbeats and delivery

    private func serve(_ stream: OpenStream, _ outbound: WebSocketOutboundWriter) async -> StreamEnd {
        await firstToFinish(
            otherwise: StreamEnd.clientClosed,
            {
                while true {
                    do {
                        try await Task.sleep(for: .seconds(configuration.heartbeatInterval))
                    } catch {
                        return StreamEnd.clientClosed
                    }
                    guard await write(ControlMessage.heartbeat(at: .now), outbound) else { return .clientClosed }
                }
            },
            { await deliver(stream, outbound) })
    }

    /// The stored packets after `startPosition`, then the live ones, each exactly once in `fixtureSeqNum` order.
    ///
    /// The stream subscribes before it reads the store, so a packet stored meanwhile is both in the store and on
    /// the queue: packets already sent are skipped by number, and a gap (never expected) is filled from the
    /// store. A fixture that is not live when the stream starts is replayed at the requested speed.
    private func deliver(_ stream: OpenStream, _ outbound: WebSocketOutboundWriter) async -> StreamEnd {
        let live = hub.subscribe(stream, fixtureId: request.fixtureId, capacity: configuration.subscriberQueue)
        var next = request.startPosition + 1
        do {
            // Read again now that the queue is registered (the check before the upgrade read it too): the status
            // at this moment decides between following and replaying.
            guard let fixture = try await store.fixture(id: request.fixtureId) else { return .serverError }
            var pace = ReplayPace(enabled: !fixture.isLive && request.speed == .normal)
            if let end = try await sendStored(from: &next, before: nil, pace: &pace, outbound) { return end }
            var unpaced = ReplayPace(enabled: false)
            var consumed = 0
            var handedOver = handOver(stream, consumed: consumed, next: next)
            for await packet in live {
                // Once handed over, nothing more is queued: the loop waits for the queue's end.
                consumed += 1
                if packet.seqNum >= next {
                    if let end = try await sendStored(from: &next, before: packet.seqNum, pace: &unpaced, outbound) {
                        return end
                    }
                    if let end = try await send(packet, outbound) { return end }
                    next = packet.seqNum + 1
                }
                if !handedOver { handedOver = handOver(stream, consumed: consumed, next: next) }
            }
            // The hub ended the queue (it found it full, or it wrote the last packet itself) and said why.
            return stream.ending.reason ?? .tooSlow
        } catch is CancellationError {
            return .clientClosed
        } catch let error as ConnectionGone {
            logger.debug("stream write failed: \(error.underlying)")
            return .clientClosed
        } catch {
            logger.error("stream of \(request.fixtureId.wire) failed: \(error)")
            return .serverError
        }
    }

    /// Hands live delivery over to the hub once the stream has sent everything queued so far (a betting stream
    /// only: the media feed holds each packet back for the delay).
    private func handOver(_ stream: OpenStream, consumed: Int, next: Int) -> Bool {
        request.feed == .betting
            && hub.handOver(stream, fixtureId: request.fixtureId, consumed: consumed, next: next, channel: channel)
    }

    /// Sends the stored packets from `next` on, in batches, up to (not including) `limit` or to the last one
    /// stored, and moves `next` past each one sent. Returns how the stream ends when one was the last packet.
    private func sendStored(
        from next: inout Int, before limit: Int?, pace: inout ReplayPace, _ outbound: WebSocketOutboundWriter
    ) async throws -> StreamEnd? {
        while limit.map({ next < $0 }) ?? true {
            let count = min(Self.backlogBatch, limit.map { $0 - next } ?? Self.backlogBatch)
            let batch = try await store.packets(fixtureId: request.fixtureId, after: next - 1, limit: count)
            if batch.isEmpty { return nil }
            for stored in batch {
                let packet = try StreamPacket(stored: stored)
                try await pace.wait(for: packet)
                if let end = try await send(packet, outbound) { return end }
                next = packet.seqNum + 1
            }
        }
        return nil
    }

    /// Sends one packet, after the media delay on the media feed. Returns how the stream ends when this was the
    /// fixture's last packet.
    private func send(_ packet: StreamPacket, _ outbound: WebSocketOutboundWriter) async throws -> StreamEnd? {
        if request.feed == .media {
            let due = packet.receivedAt.microseconds + Int64(configuration.mediaDelay * 1_000_000)
            let wait = due - Timestamp.now.microseconds
            if wait > 0 { try await Task.sleep(for: .microseconds(wait)) }
        }
        do {
            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: packet.bytes)))
        } catch {
            throw ConnectionGone(underlying: error)
        }
        return packet.finished ? .finished : nil
    }

    private struct ConnectionGone: Error {
        let underlying: any Error
    }

    /// Writes a control message; false when the connection is gone.
    private func write(_ message: String, _ outbound: WebSocketOutboundWriter) async -> Bool {
        do {
            try await outbound.write(.text(message))
            return true
        } catch {
            return false
        }
    }

    // MARK: Closing

    /// Sends the close frame of `end`. A client that reads nothing cannot receive it: after `streamCloseWait` the
    /// connection is dropped instead.
    private func close(_ end: StreamEnd, _ outbound: WebSocketOutboundWriter) async {
        guard let frame = end.closeFrame else { return }
        let sent = await firstToFinish(
            otherwise: false,
            { (try? await outbound.close(frame.code, reason: frame.reason)) != nil },
            {
                try? await Task.sleep(for: configuration.streamCloseWait)
                return false
            })
        if !sent { channel.close(promise: nil) }
    }
}

/// The gaps of a normal-speed replay: each packet is sent as long after the first one as the scout's timestamps
/// say. The schedule is kept from the first packet, so delays do not add up over a long match.
struct ReplayPace {
    let enabled: Bool
    private var origin: (instant: ContinuousClock.Instant, timestamp: Timestamp)?

    init(enabled: Bool) {
        self.enabled = enabled
    }

    mutating func wait(for packet: StreamPacket) async throws {
        guard enabled else { return }
        let timestamp = try packet.timestamp()
        guard let origin else {
            origin = (.now, timestamp)
            return
        }
        let offset = max(0, timestamp.microseconds - origin.timestamp.microseconds)
        try await Task.sleep(until: origin.instant + .microseconds(offset), clock: .continuous)
    }
}

/// Runs the bodies side by side and returns the result of the first to finish; the others are cancelled.
/// `otherwise` is only returned when there is no body at all.
private func firstToFinish<Result: Sendable>(
    otherwise: Result, _ bodies: (@Sendable () async -> Result)...
) async -> Result {
    await withTaskGroup(of: Result.self) { group in
        for body in bodies { group.addTask(operation: body) }
        let first = await group.next() ?? otherwise
        group.cancelAll()
        return first
    }
}

extension Fixture {
    /// Live or scheduled: a stream follows it as it is played. Anything else (finished, completed, abandoned,
    /// cancelled) is replayed.
    var isLive: Bool {
        !finished && [.scheduled, .live, .postponed, .suspended, .unverified].contains(status)
    }
}

extension Double {
    /// Seconds without a needless `.0`: `10` rather than `10.0`.
    var secondsText: String {
        self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
