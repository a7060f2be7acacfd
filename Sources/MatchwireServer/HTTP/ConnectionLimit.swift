import NIOCore
import Synchronization

/// The connections open in the process, HTTP and streams alike, up to a limit.
///
/// Each connection holds a file descriptor and memory; past the limit a new one is answered 503 with a sentence
/// and closed at once, so that the ones already open keep working and the client knows to try another node.
final class ConnectionLimit: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts the connection until it closes; false (not counted) when `limit` are open already.
    func admit(_ channel: any Channel) -> Bool {
        var current = open.load(ordering: .relaxed)
        while true {
            guard current < limit else { return false }
            let (exchanged, original) = open.weakCompareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
        channel.closeFuture.whenComplete { _ in self.open.subtract(1, ordering: .relaxed) }
        return true
    }
}

/// Answers a connection over the limit with 503 and closes it, without reading its request.
final class RefuseConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let limit: Int
    private var answered = false

    init(limit: Int) {
        self.limit = limit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
        context.fireChannelActive()
    }

    /// What the client sends is dropped: it is answered already.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let body = APIError.body(
            "The server has \(limit) connections open, its limit: try again shortly or use another node.")
        var answer = ByteBuffer(
            string: "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
                + "content-length: \(body.readableBytes)\r\nretry-after: 1\r\nconnection: close\r\n"
                + "date: \(DateHeader.shared.value)\r\nserver: \(DateHeader.serverName)\r\n\r\n")
        answer.writeImmutableBuffer(body)
        // Closed at once, not lingering: the connection is not counted, and must not stay to add to the load.
        context.writeAndFlush(wrapOutboundOut(answer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
