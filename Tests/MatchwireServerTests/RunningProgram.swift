import Foundation
import PostgresTestCluster
import MatchwireCore
import Synchronization

/// A `matchwire` command running as a separate process, its output collected as it comes.
final class RunningProgram {
    let arguments: [String]
    private let process: ChildProcess
    private let out = Collected()
    private let err = Collected()

    /// Bytes appended by a pipe's reader thread.
    private final class Collected: Sendable {
        private let data = Mutex((bytes: Data(), ended: false))

        var text: String { data.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
        /// The writer closed the pipe: everything has been read.
        var ended: Bool { data.withLock { $0.ended } }

        /// Reads the pipe on a thread of its own until the writer closes it.
        func start(reading handle: FileHandle) {
            Thread { [self] in
                while true {
                    let chunk = handle.availableData
                    data.withLock {
                        $0.bytes.append(chunk)
                        if chunk.isEmpty { $0.ended = true }
                    }
                    if chunk.isEmpty { return }
                }
            }.start()
        }
    }

    /// Starts `executable` (by default the built `matchwire`) with `arguments`, and `environment` added to this
    /// process's own.
    init(_ arguments: [String], executable: URL = ServerProcess.executable, environment: [String: String] = [:])
        throws
    {
        self.arguments = arguments
        process = ChildProcess()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        out.start(reading: stdout.fileHandleForReading)
        err.start(reading: stderr.fileHandleForReading)
    }

    var output: String { out.text }
    var errors: String { err.text }
    var outputLines: [String] { output.split(separator: "\n").map(String.init) }

    /// Waits for the exit (at most `timeout`, then kills it) and returns the exit status.
    func finish(timeout: Duration = .seconds(120)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning || !out.ended || !err.ended {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw RuleViolation("matchwire \(arguments) did not finish in \(timeout); output: \(output) \(errors)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    /// Runs a command to its end.
    static func run(
        _ arguments: [String], executable: URL = ServerProcess.executable, environment: [String: String] = [:]
    ) async throws -> (status: Int32, output: String, errors: String) {
        let program = try RunningProgram(arguments, executable: executable, environment: environment)
        let status = try await program.finish()
        return (status, program.output, program.errors)
    }
}
