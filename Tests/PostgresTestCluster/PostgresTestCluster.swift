import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A throwaway PostgreSQL cluster for the tests: a fresh data folder under /tmp and a server on a free port of
/// 127.0.0.1, with trust authentication. One cluster serves the whole test process (`shared()`), and each test
/// takes a new database of its own (`createDatabase()`), so tests may run in parallel. A test that stops and
/// starts the server takes a cluster of its own (`makePrivate()`). Every server is stopped and its folder removed
/// when the process exits, or earlier by `remove()`.
///
/// PostgreSQL refuses to run as root. When the tests run as root (as in CI containers), `initdb`, `pg_ctl` and so
/// the server run as the `postgres` user, through `runuser`, and that user owns the folder. `psql` runs as the
/// current user; it connects over TCP.
public final class PostgresTestCluster: Sendable {
    /// The address the server listens on.
    public let host: String
    /// The TCP port of the server: a free port chosen at start. `start()` after `stop()` uses it again.
    public let port: Int
    /// The superuser to connect as. Authentication is `trust`: no password.
    public let user: String

    /// The folder of the cluster: `data`, `log` and the Unix socket.
    let directory: String
    let binaries: Binaries
    /// `runuser -u postgres --` when the process runs as root; empty otherwise.
    let runAs: [String]
    /// Serializes `stop()`, `start()` and `remove()`, so that two tests cannot send `pg_ctl` commands at once.
    /// True once `remove()` has run: the cluster is gone, and `start()` and `stop()` throw.
    private let control = Mutex<Bool>(false)

    private init(directory: String, port: Int, binaries: Binaries, runAs: [String]) {
        self.host = "127.0.0.1"
        self.port = port
        self.user = "postgres"
        self.directory = directory
        self.binaries = binaries
        self.runAs = runAs
    }

    private var dataDirectory: String { directory + "/data" }
    private var logFile: String { directory + "/log" }

    // MARK: - The shared cluster

    /// The start of the one cluster: created by the first call of `shared()`, awaited by every call.
    private static let startup = Mutex<Task<PostgresTestCluster?, any Error>?>(nil)

    /// The one cluster of this test process, started on first use. Concurrent callers wait for the same start,
    /// and a failed start fails every caller with the same error, without a second try.
    ///
    /// Nil when PostgreSQL is not installed: a machine without it skips the PostgreSQL tests, and says so once on
    /// stderr. Any other failure throws, with the tail of the log: a broken install must fail the tests, not skip
    /// them.
    public static func shared() async throws -> PostgresTestCluster? {
        let task = startup.withLock { task in
            if let task { return task }
            // A detached task, so that the start belongs to no single test and is not cancelled with one.
            let started = Task<PostgresTestCluster?, any Error>.detached { try makeCluster() }
            task = started
            return started
        }
        return try await task.value
    }

    // MARK: - Private clusters

    /// A cluster of its own, for a test that stops and starts the server (which would break every other test on
    /// the shared one). Stopped and removed at process exit like the shared one, or earlier with `remove()`.
    ///
    /// Each call starts a new server, with its own folder and port (`initdb` and a start: about a second). Nil
    /// when PostgreSQL is not installed (said once on stderr); any other failure throws, as `shared()` does.
    public static func makePrivate() async throws -> PostgresTestCluster? {
        // Detached, as for the shared cluster: the blocking start runs on no caller's task.
        try await Task<PostgresTestCluster?, any Error>.detached { try makeCluster() }.value
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`: connections are cut, nothing is kept) and removes
    /// its folder. Idempotent: a second call does nothing. Afterwards `start()` and `stop()` throw, and so do
    /// `psql` and connections. Meant for private clusters: removing the shared one breaks every test that uses it.
    public func remove() {
        control.withLock { removed in
            guard !removed else { return }
            removed = true
            // Fails, harmlessly, when a test left the server stopped.
            _ = try? Self.run(
                runAs + [binaries.pgCtl, "-D", dataDirectory, "-w", "-t", "60", "-m", "immediate", "stop"],
                directory: directory)
            try? FileManager.default.removeItem(atPath: directory)
            // Only now: were the process to exit before, the clean-up at exit would still do the work.
            ExitCleanup.unregister(folder: directory)
        }
    }

    /// Finds the binaries, makes the folder, runs `initdb` and starts the server. Blocking.
    private static func makeCluster() throws -> PostgresTestCluster? {
        guard let binaries = Binaries.find() else {
            reportNotInstalled()
            return nil
        }
        let runAs: [String]
        var owner: (uid: uid_t, gid: gid_t)?
        if geteuid() == 0 {
            guard
                let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
                    .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
            else {
                throw PostgresTestClusterError(
                    "PostgreSQL refuses to run as root, and there is no `runuser` (util-linux) to run it as postgres")
            }
            guard let entry = getpwnam("postgres") else {
                throw PostgresTestClusterError(
                    "PostgreSQL refuses to run as root, and there is no `postgres` user to run it as "
                        + "(the Debian package `postgresql` creates it)")
            }
            runAs = [runuser, "-u", "postgres", "--"]
            owner = (entry.pointee.pw_uid, entry.pointee.pw_gid)
        } else {
            runAs = []
        }

        // mkdtemp makes the folder with mode 0700. Directly under /tmp, so that the postgres user can reach it,
        // and short, because the path of the Unix socket in it may not pass 107 bytes.
        var template = Array("/tmp/mw-postgres.XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            throw PostgresTestClusterError("cannot make a folder under /tmp: \(String(cString: strerror(errno)))")
        }
        let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if let owner, chown(directory, owner.uid, owner.gid) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: directory)
            throw PostgresTestClusterError("cannot give \(directory) to the postgres user: \(reason)")
        }
        // From here on the folder is removed at exit, and the server stopped, whatever happens next.
        ExitCleanup.register(
            stop: runAs + [binaries.pgCtl, "-D", directory + "/data", "-m", "immediate", "stop"],
            folder: directory)

        let initdb = try run(
            runAs + [
                binaries.initdb, "-D", directory + "/data", "-U", "postgres", "--auth=trust", "--no-sync",
                "-E", "UTF8", "--locale=C",
            ],
            directory: directory)
        guard initdb.status == 0 else {
            throw PostgresTestClusterError(
                "initdb failed (exit \(initdb.status)):\n" + tail(initdb.stdout + initdb.stderr))
        }

        // The port is free when chosen but not held: something else may take it before the server binds it.
        // Then the start is tried again on another port.
        var attempt = 1
        while true {
            let cluster = PostgresTestCluster(
                directory: directory, port: try freePort(), binaries: binaries, runAs: runAs)
            do {
                try cluster.start()
                return cluster
            } catch let error as PostgresTestClusterError where error.portTaken && attempt < 5 {
                attempt += 1
            }
        }
    }

    // MARK: - Databases and SQL

    /// Creates a new, empty database with a unique name (`mw_` and 12 hex digits), so that each test has its own
    /// and tests can run in parallel on the one cluster. Returns its URL, as `url(database:)` makes it:
    /// `postgres://postgres@127.0.0.1:PORT/NAME?sslmode=disable`; the name is the last path component, before
    /// the `?`. The database is not dropped: the cluster is thrown away at exit.
    public func createDatabase() throws -> String {
        let hex = UUID().uuidString.lowercased().filter { $0 != "-" }
        let name = "mw_" + hex.prefix(12)
        _ = try psql("CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// The URL of a database of this cluster: `postgres://postgres@127.0.0.1:PORT/DATABASE?sslmode=disable`. The
    /// server has no TLS. The name is put in as it is: the names `createDatabase()` makes need no escaping.
    public func url(database: String) -> String {
        "postgres://\(user)@\(host):\(port)/\(database)?sslmode=disable"
    }

    /// The database a URL of `url(database:)` names: what `psql(_:database:)` takes.
    public static func databaseName(in url: String) -> String {
        String(url.split(separator: "?").first?.split(separator: "/").last ?? "")
    }

    /// Runs SQL through `psql` on the named database, to set up or inspect what the code under test cannot.
    /// Returns psql's stdout unchanged: unaligned, tuples only, one row a line, columns separated by `|`, with the
    /// final newline. Statements that return no rows print their command tag (`CREATE TABLE`, `INSERT 0 2`), so a
    /// query whose answer is checked is best run alone. Each statement commits on its own (the SQL is run as a
    /// script, not as one `-c` string), so `CREATE DATABASE` and `VACUUM` work. Stops at the first error and
    /// throws with psql's stderr.
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        // The SQL goes through a file rather than stdin: no pipe to write while psql writes its own.
        let script = directory + "/psql-" + UUID().uuidString + ".sql"
        guard FileManager.default.createFile(atPath: script, contents: Data(sql.utf8)) else {
            throw PostgresTestClusterError("cannot write \(script)")
        }
        defer { try? FileManager.default.removeItem(atPath: script) }
        let result = try Self.run([
            binaries.psql, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", String(port), "-U", user,
            "-d", database, "-f", script,
        ])
        guard result.status == 0 else {
            throw PostgresTestClusterError("psql on \(database) failed (exit \(result.status)):\n" + result.stderr)
        }
        return result.stdout
    }

    // MARK: - Stopping and starting

    /// Stops the server (`pg_ctl stop -m fast`) and waits until it is down, for tests of a database that goes
    /// away. Every connection is closed. A test that stops the shared cluster breaks the tests beside it: it takes
    /// a cluster of its own (`makePrivate()`). Throws once the cluster is removed.
    public func stop() throws {
        try control.withLock { removed in
            guard !removed else { throw PostgresTestClusterError("the cluster in \(directory) was removed") }
            let result = try Self.run(
                runAs + [binaries.pgCtl, "-D", dataDirectory, "-w", "-t", "60", "-m", "fast", "stop"],
                directory: directory)
            guard result.status == 0 else {
                throw PostgresTestClusterError(
                    "pg_ctl stop failed (exit \(result.status)):\n" + result.stdout + result.stderr)
            }
        }
    }

    /// Starts the server again on the same port and data (`pg_ctl start`), and waits until it accepts
    /// connections, for tests of a database that comes back. Throws with the log's tail when it does not start.
    public func start() throws {
        try control.withLock { removed in
            guard !removed else { throw PostgresTestClusterError("the cluster in \(directory) was removed") }
            let logStart = (try? FileManager.default.attributesOfItem(atPath: logFile)[.size] as? Int) ?? 0
            // fsync is off: the cluster is thrown away, so it need not survive a crash of the machine, and tests
            // run faster without it. synchronous_commit stays on: a commit is still written before it returns.
            let options = [
                "-p \(port)", "-k \(directory)", "-c listen_addresses=127.0.0.1", "-c fsync=off",
                "-c max_connections=300",
            ].joined(separator: " ")
            // Not through Foundation's Process: on Linux it leaves a socket open in the child and takes the
            // child for running until that socket closes. pg_ctl forks the server, the server would keep the
            // socket, and the start would never end. Spawn closes every descriptor but 0, 1 and 2 in the child,
            // so the server keeps no pipe of this process open either (other tests read their pipes to the end).
            let outputFile = directory + "/pg_ctl.out"
            let status = try Spawn.run(
                runAs + [binaries.pgCtl, "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "start", "-o", options],
                directory: directory, output: outputFile, environment: Self.environment)
            guard status == 0 else {
                let output = Self.readLog(outputFile, from: 0)
                let log = Self.readLog(logFile, from: logStart)
                // A server that did not come up in time may still be running: stop it before reporting.
                _ = try? Self.run(
                    runAs + [binaries.pgCtl, "-D", dataDirectory, "-m", "immediate", "stop"], directory: directory)
                throw PostgresTestClusterError(
                    "PostgreSQL did not start on port \(port) (pg_ctl exit \(status)):\n"
                        + output + "log (\(logFile)):\n" + Self.tail(log),
                    portTaken: log.contains("could not bind") || log.contains("Address already in use"))
            }
        }
    }

    // MARK: - Helpers

    /// The PostgreSQL programs, by full path.
    struct Binaries: Sendable {
        let initdb: String
        let pgCtl: String
        let psql: String

        /// The newest /usr/lib/postgresql/N/bin with `initdb` (Debian and Ubuntu), else `initdb` on PATH. Nil when
        /// there is no `initdb`: PostgreSQL is not installed.
        static func find() -> Binaries? {
            let fileManager = FileManager.default
            let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
                .split(separator: ":").map(String.init)
            func onPath(_ name: String) -> String? {
                path.map { $0 + "/" + name }.first { fileManager.isExecutableFile(atPath: $0) }
            }

            var folders: [String] = []
            let versions = (try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
            for version in versions.sorted(by: { (Double($0) ?? -1) > (Double($1) ?? -1) }) {
                folders.append("/usr/lib/postgresql/\(version)/bin")
            }
            if let initdb = onPath("initdb") {
                // /usr/local/bin/initdb may be a link into the folder that also has pg_ctl and postgres.
                folders.append(URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path)
                folders.append(URL(fileURLWithPath: initdb).deletingLastPathComponent().path)
            }
            guard
                let folder = folders.first(where: {
                    fileManager.isExecutableFile(atPath: $0 + "/initdb")
                        && fileManager.isExecutableFile(atPath: $0 + "/pg_ctl")
                })
            else { return nil }
            let psql = fileManager.isExecutableFile(atPath: folder + "/psql") ? folder + "/psql" : onPath("psql")
            return Binaries(initdb: folder + "/initdb", pgCtl: folder + "/pg_ctl", psql: psql ?? folder + "/psql")
        }
    }

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs a program (full path first) to its end, and returns its exit status and output. Stdin is /dev/null.
    /// Stderr is read on another thread while stdout is read here, so that neither pipe can fill and block the
    /// program. Only for programs that leave nothing running behind them: see `start()`.
    static func run(_ command: [String], directory: String? = nil) throws -> Output {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if let directory {
            // The postgres user cannot enter the current folder of the tests (often under /root).
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
        }
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw PostgresTestClusterError("cannot run \(command[0]): \(error)")
        }
        let errors = Collected()
        let errorsRead = DispatchSemaphore(value: 0)
        let errorHandle = stderr.fileHandleForReading
        Thread.detachNewThread {
            errors.data.withLock { $0 = errorHandle.readDataToEndOfFile() }
            errorsRead.signal()
        }
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: outputData, as: UTF8.self),
            stderr: errors.data.withLock { String(decoding: $0, as: UTF8.self) })
    }

    /// The environment of the commands: this process's, without the PG* variables, which could send psql to
    /// another server or change the session.
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
    }

    /// What another thread has read.
    final class Collected: Sendable {
        let data = Mutex(Data())
    }

    /// A TCP port of 127.0.0.1 that is free now: the kernel's answer to a bind to port 0.
    static func freePort() throws -> Int {
        #if canImport(Darwin)
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #else
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else {
            throw PostgresTestClusterError("socket() failed: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var address = sockaddr_in()
        #if canImport(Darwin)
            address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(fd, address, length) == 0 && getsockname(fd, address, &length) == 0
            }
        }
        guard bound else {
            throw PostgresTestClusterError("cannot bind to 127.0.0.1:0: \(String(cString: strerror(errno)))")
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The log from the given byte on: what the last start wrote.
    static func readLog(_ path: String, from offset: Int) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "(no log)" }
        return String(decoding: data.dropFirst(offset), as: UTF8.self)
    }

    /// The last lines of a text: the end of a log says why a start failed.
    static func tail(_ text: String, lines: Int = 40) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// Why the cluster could not start, or a command failed: the message has the command's output or the log's tail.
public struct PostgresTestClusterError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// Whether the server failed because its port was taken: then the start is tried on another port.
    let portTaken: Bool

    init(_ description: String, portTaken: Bool = false) {
        self.description = description
        self.portTaken = portTaken
    }
}

// MARK: - Clean-up at exit

/// What to undo when the process exits: for each cluster not yet removed, the server to stop and the folder to
/// remove. A C function runs it (`atexit`), and a C function cannot capture, so the state is global, behind a lock.
enum ExitCleanup {
    struct Cluster: Sendable {
        let folder: String
        /// `pg_ctl -m immediate stop` for the cluster's server: nothing needs to be kept.
        let stop: [String]
    }

    struct State: Sendable {
        var registered = false
        var clusters: [Cluster] = []
    }

    static let state = Mutex(State())

    /// Stops the server at exit and removes the folder. The first call registers the handler with `atexit`.
    static func register(stop: [String], folder: String) {
        let first = state.withLock { state in
            state.clusters.append(Cluster(folder: folder, stop: stop))
            defer { state.registered = true }
            return !state.registered
        }
        if first {
            atexit { ExitCleanup.run() }
        }
    }

    /// Forgets a cluster that `remove()` has already stopped and removed.
    static func unregister(folder: String) {
        state.withLock { state in state.clusters.removeAll { $0.folder == folder } }
    }

    /// Runs the commands with posix_spawn rather than Foundation's Process: at exit, Foundation's threads and run
    /// loops may already be going away. Their output goes to /dev/null: a server a test stopped is no error.
    static func run() {
        let clusters = state.withLock { state in
            defer { state.clusters = [] }
            return state.clusters
        }
        guard !clusters.isEmpty else { return }
        let rms: [String] = ["/bin/rm", "/usr/bin/rm"]
        let rm = rms.first { access($0, X_OK) == 0 } ?? "/bin/rm"
        // The postgres user may not enter the current folder of the tests (pg_ctl then complains); it can enter /.
        // The process is ending, so its current folder no longer matters.
        _ = chdir("/")
        for cluster in clusters {
            for command in [cluster.stop, [rm, "-rf", cluster.folder]] {
                _ = try? Spawn.run(
                    command, directory: "/", output: "/dev/null",
                    environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
            }
        }
    }
}

// MARK: - posix_spawn

/// Runs a program with posix_spawn, for what Foundation's Process cannot do: start a program that leaves a
/// daemon behind (`pg_ctl start`), and run programs at exit.
enum Spawn {
    /// Runs the command (full path first) in `directory`, with stdin from /dev/null and stdout and stderr to the
    /// file `output`, and waits for its end. Returns its exit status (128 + the signal when a signal ended it).
    /// In the child, every descriptor above 2 is closed, the signal mask is empty and every signal has its
    /// default action, so that a daemon it starts holds nothing of this process.
    static func run(_ command: [String], directory: String, output: String, environment: [String: String]) throws
        -> Int32
    {
        var arguments: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        var variables: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }

        #if canImport(Darwin)
            var actions: posix_spawn_file_actions_t?
            var attributes: posix_spawnattr_t?
        #else
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        #if canImport(Darwin)
            posix_spawn_file_actions_addchdir_np(&actions, directory)
            posix_spawnattr_setflags(
                &attributes, Int16(POSIX_SPAWN_CLOEXEC_DEFAULT | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        #else
            _ = SpawnActions.changeDirectory(&actions, to: directory)
            SpawnActions.closeAllButStandard(&actions)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        #endif

        var pid = pid_t()
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, &arguments, &variables)
        guard spawned == 0 else {
            throw PostgresTestClusterError("cannot run \(command[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else {
                throw PostgresTestClusterError("waitpid for \(command[0]) failed: \(String(cString: strerror(errno)))")
            }
        }
        // WIFEXITED and WEXITSTATUS are macros, which Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

extension PostgresTestCluster {
    /// Whether PostgreSQL's server binaries are installed. When they are not, says once on stderr that the
    /// PostgreSQL tests are skipped and why: a silent skip would hide a missing install step.
    public static var isInstalled: Bool {
        let installed = Binaries.find() != nil
        if !installed {
            reportNotInstalled()
        }
        return installed
    }

    /// Says on stderr, once a process, that the PostgreSQL tests are skipped, and why.
    static func reportNotInstalled() {
        warnedOnce.withLock { warned in
            guard !warned else { return }
            warned = true
            FileHandle.standardError.write(
                Data(
                    ("SKIPPED: PostgreSQL tests: no PostgreSQL server binaries (initdb) found; "
                        + "install the Debian package `postgresql` (.ci/run does).\n").utf8))
        }
    }

    private static let warnedOnce = Mutex(false)
}

extension PostgresTestCluster {
    /// `createDatabase()` on a thread of its own: it runs `psql` and waits for it, which must not hold one of the
    /// few threads that run the tests' tasks.
    public func newDatabase() async throws -> String {
        try await Self.onThread { try self.createDatabase() }
    }

    /// `psql(_:database:)` on a thread of its own.
    public func query(_ sql: String, database: String = "postgres") async throws -> String {
        try await Self.onThread { try self.psql(sql, database: database) }
    }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
