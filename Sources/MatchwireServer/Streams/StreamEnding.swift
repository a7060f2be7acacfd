import Synchronization

/// A registered stream: its id and its ending.
struct OpenStream: Sendable {
    let id: Int
    let ending: StreamEnding
}

/// How a stream is ended, by whatever ends it first: the client, its delivery, the hub (a full queue), shutdown.
/// The first reason wins and is kept; only it is passed on, once, to the stream's connection.
final class StreamEnding: Sendable {
    private let first = Mutex<StreamEnd?>(nil)
    private let onEnd: @Sendable (StreamEnd) -> Void

    init(_ onEnd: @escaping @Sendable (StreamEnd) -> Void) {
        self.onEnd = onEnd
    }

    func end(_ reason: StreamEnd) {
        let isFirst = first.withLock { first in
            guard first == nil else { return false }
            first = reason
            return true
        }
        if isFirst { onEnd(reason) }
    }

    /// The reason the stream was ended with, if it was.
    var reason: StreamEnd? { first.withLock { $0 } }
}
