import Foundation
import MatchwireCore

/// A plain TCP connection to the loopback server: the test knows it is connected when `init` returns.
final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    /// `receiveBuffer`, when given, is the socket's receive buffer, set before it connects (a small one makes a
    /// client that does not read hold the server's answer back quickly).
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        guard let descriptor = connectToLoopback(port: port, receiveBuffer: receiveBuffer) else {
            throw RuleViolation("cannot connect to port \(port)")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    func write(_ text: String) throws {
        try write(bytes: Array(text.utf8))
    }

    func write(bytes: [UInt8]) throws {
        guard send(descriptor, bytes, bytes.count, 0) == bytes.count else { throw RuleViolation("send failed") }
    }

    /// Waits at most `seconds` for each later receive; a receive that waits longer throws.
    func setReceiveTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Exactly `count` bytes; nil when the server closes the connection first.
    func receive(exactly count: Int) throws -> [UInt8]? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: count)
        while received.count < count {
            let got = recv(descriptor, &buffer, count - received.count, 0)
            guard got >= 0 else { throw RuleViolation("receive failed or timed out (errno \(errno))") }
            if got == 0 { return nil }
            received += buffer[0..<got]
        }
        return received
    }

    /// One response head (an interim 100 Continue, say), up to its blank line; "" when the server closes first.
    func receiveHead() throws -> String {
        var head: [UInt8] = []
        while !head.suffix(4).elementsEqual("\r\n\r\n".utf8) {
            guard let byte = try receive(exactly: 1) else { break }
            head += byte
        }
        return String(decoding: head, as: UTF8.self)
    }

    /// Sends `request` on a new connection and returns the head of its answer (waiting at most 10 seconds), on a
    /// thread of its own: a receive that blocks a thread of Swift's pool would hold back the server's tasks when
    /// other tests block the other one.
    static func headOfAnswer(port: Int, to request: String) async throws -> String {
        try await blocking {
            let connection = try RawConnection(port: port)
            connection.setReceiveTimeout(seconds: 10)
            try connection.write(request)
            return try connection.receiveHead()
        }
    }

    /// Everything the server sends until it closes the connection.
    func receiveAll() throws -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count >= 0 else { throw RuleViolation("receive failed") }
            if count == 0 { return String(decoding: received, as: UTF8.self) }
            received += buffer[0..<count]
        }
    }
}

/// A socket connected to the port on 127.0.0.1, or nil (nothing left open) when none can be made.
func connectToLoopback(port: Int, receiveBuffer: Int32? = nil) -> Int32? {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return nil }
    if var size = receiveBuffer {
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        close(descriptor)
        return nil
    }
    return descriptor
}
