import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A program the tests start, with `posix_spawn`, in place of Foundation's `Process`, with the same names for the
/// part of it the tests use.
///
/// Why: on Linux, `Process.run()` looks for the highest open descriptor by reading `/proc/self/fd` and copying 256
/// bytes of each entry's name, whatever the entry's length; now and then the copy reads past the end of glibc's
/// buffer into an unmapped page and the whole test process dies with SIGSEGV (swift-corelibs-foundation #5472,
/// fixed after Swift 6.3.1; seen here in `ClientToolsTests` during a CI run). This starts the program without that
/// scan: the child closes every descriptor from 3 up with glibc's `posix_spawn_file_actions_addclosefrom_np`
/// (``SpawnActions``). Linux only, as the tests are.
///
/// Standard input, output and error are inherited unless set to a `Pipe` or a `FileHandle`
/// (`FileHandle.nullDevice` opens /dev/null). The child gets a process group of its own, as with `Process`.
public final class ChildProcess: @unchecked Sendable {
    public var executableURL: URL?
    public var arguments: [String] = []
    /// The child's whole environment; nil: this process's.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    public var standardInput: Any?
    public var standardOutput: Any?
    public var standardError: Any?

    private struct State {
        var pid: pid_t = 0
        /// The raw status `waitpid` gave, once the child has ended and been reaped.
        var status: Int32?
    }

    private let state = Mutex(State())

    public init() {}

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public var processIdentifier: Int32 { state.withLock { $0.pid } }

    /// Starts the program; throws when it cannot be started.
    public func run() throws {
        guard let path = executableURL?.path else { throw Failure(description: "no program to run") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The parent's copies of pipe ends the child now holds: closed once it runs, so that reading a pipe ends
        // when the child's end closes.
        var closeInParent: [FileHandle] = []
        func redirect(_ value: Any?, to target: Int32, childReads: Bool) {
            switch value {
            case let pipe as Pipe:
                let end = childReads ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                posix_spawn_file_actions_adddup2(&actions, end.fileDescriptor, target)
                closeInParent.append(end)
            case let handle as FileHandle where handle === FileHandle.nullDevice:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", childReads ? O_RDONLY : O_WRONLY, 0)
            case let handle as FileHandle:
                posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
            default:
                break
            }
        }
        redirect(standardInput, to: STDIN_FILENO, childReads: true)
        redirect(standardOutput, to: STDOUT_FILENO, childReads: false)
        redirect(standardError, to: STDERR_FILENO, childReads: false)
        SpawnActions.closeAllButStandard(&actions)
        if let directory = currentDirectoryURL?.path {
            guard SpawnActions.changeDirectory(&actions, to: directory) else {
                throw Failure(description: "cannot start the child in \(directory)")
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))

        let argv = Self.cStrings([path] + arguments)
        let environment = self.environment ?? ProcessInfo.processInfo.environment
        let envp = Self.cStrings(environment.map { "\($0.key)=\($0.value)" })
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, path, &actions, &attributes, argv + [nil], envp + [nil])
        guard result == 0 else {
            throw Failure(description: "cannot run \(path): \(String(cString: strerror(result)))")
        }
        state.withLock { $0.pid = pid }
        for handle in closeInParent { try? handle.close() }
    }

    /// Whether the child still runs (it is reaped as soon as this sees it has ended).
    public var isRunning: Bool {
        state.withLock { state in
            guard state.pid > 0, state.status == nil else { return false }
            var status: Int32 = 0
            guard waitpid(state.pid, &status, WNOHANG) == state.pid else { return true }
            state.status = status
            return false
        }
    }

    /// Waits for the child's end.
    public func waitUntilExit() {
        let pid = state.withLock { $0.status == nil ? $0.pid : 0 }
        guard pid > 0 else { return }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, 0) } while result == -1 && errno == EINTR
        if result == pid {
            state.withLock { $0.status = status }
            return
        }
        // Reaped meanwhile by `isRunning` on another thread: its status is recorded there.
        while state.withLock({ $0.status == nil }) { usleep(1000) }
    }

    /// The exit status, or the number of the signal that ended the child; 0 before it has ended.
    public var terminationStatus: Int32 {
        guard let status = state.withLock({ $0.status }) else { return 0 }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : signal
    }

    /// Sends SIGTERM, unless the child has been reaped (its pid may belong to another process by now).
    public func terminate() {
        let pid = state.withLock { $0.status == nil ? $0.pid : 0 }
        if pid > 0 { kill(pid, SIGTERM) }
    }

    private static func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
        strings.map { strdup($0) }
    }
}

/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29) and `_addclosefrom_np` (2.34), which glibc declares only
/// for `_GNU_SOURCE` and Swift's Glibc module therefore does not import: looked up by name, once.
enum SpawnActions {
    private typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    private static let chdirAction: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChdir.self)
    }
    private static let closeFromAction: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }

    /// The child starts in `directory`; false when glibc cannot do it.
    static func changeDirectory(_ actions: inout posix_spawn_file_actions_t, to directory: String) -> Bool {
        chdirAction.map { $0(&actions, directory) == 0 } ?? false
    }

    /// The child closes every descriptor above 2 (an older glibc: every one open now).
    static func closeAllButStandard(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFromAction, closeFromAction(&actions, 3) == 0 { return }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
}
