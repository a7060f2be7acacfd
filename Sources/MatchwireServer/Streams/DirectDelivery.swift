import MatchwireCore
import NIOCore
import NIOWebSocket

/// The live delivery of a subscriber that the hub writes itself, onto its connection.
///
/// Its state is only touched on the connection's event loop. Each packet's frame is encoded once for all
/// subscribers (``StreamPacket/textFrame``) and written past the websocket encoder, straight towards the socket,
/// in order with every frame the encoder passes on. Frames go straight into the channel, so the queue bound is
/// kept there: a subscriber is dropped (1013) when `capacity` packets in a row found its
/// connection not writable (more than the channel's write buffer high-water mark already waiting).
final class DirectDelivery: Sendable {
    let channel: any Channel
    let capacity: Int
    /// The stream's ending: once it has a reason, the stream is closing and nothing more is written.
    let ending: StreamEnding
    let end: @Sendable (StreamEnd) -> Void
    private let state: NIOLoopBoundBox<State>

    private struct State {
        /// The number of the next packet to write; lower ones were sent by the stream.
        var next: Int
        /// Packets written in a row while the connection was not writable.
        var backlogged = 0
        /// The websocket encoder's place in the pipeline: what is written there goes on to the socket as is.
        var pastEncoder: ChannelHandlerContext?
    }

    init(
        channel: any Channel, next: Int, capacity: Int, ending: StreamEnding,
        end: @escaping @Sendable (StreamEnd) -> Void
    ) {
        self.channel = channel
        self.capacity = capacity
        self.ending = ending
        self.end = end
        self.state = .makeBoxSendingValue(State(next: next), eventLoop: channel.eventLoop)
    }

    /// On the event loop: writes the packets not yet sent, in order, and flushes once if it wrote any (see
    /// ``LoopBacklog``). Adds one to `written` at each packet's index that it wrote.
    func write(_ packets: [StreamPacket.Framed], written: inout [Int]) {
        var state = self.state.value
        defer { self.state.value = state }
        // A stream that is ending (its close frame is written, or about to be on this same loop) gets nothing more.
        guard ending.reason == nil else { return }
        if state.pastEncoder == nil {
            state.pastEncoder = try? channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        }
        // No encoder: the connection is closed and its handlers gone.
        guard let pastEncoder = state.pastEncoder else { return }
        let first = state.next
        defer { if state.next != first { pastEncoder.flush() } }
        // The packets are numbered one after another: the first not yet sent is found by subtraction.
        guard let oldest = packets.first?.packet.seqNum, state.next - oldest < packets.count else { return }
        for index in max(state.next - oldest, 0)..<packets.count {
            let packet = packets[index].packet
            guard packet.seqNum == state.next else {
                // The hub publishes every stored packet in order: a gap is a fault, never expected.
                return end(.serverError)
            }
            state.backlogged = channel.isWritable ? 0 : state.backlogged + 1
            guard state.backlogged <= capacity else { return end(.tooSlow) }
            pastEncoder.write(NIOAny(packets[index].frame), promise: nil)
            written[index] += 1
            state.next += 1
            if packet.finished { return end(.finished) }
        }
    }
}
