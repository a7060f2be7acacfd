import AsyncHTTPClient
import Foundation
import PostgresTestCluster
import MatchwireCore
import NIOCore

/// A headless Chromium driven through chromedriver over the W3C WebDriver protocol (plain JSON over HTTP, the
/// protocol selenium speaks): enough to open pages, run a script in them and read the browser's console.
///
/// Found at Debian's paths (`apt-get install chromium chromium-driver`, as `.ci/run` does) or through
/// `MATCHWIRE_CHROMIUM` and `MATCHWIRE_CHROMEDRIVER`.
final class WebDriver: Sendable {
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let chromium =
        ProcessInfo.processInfo.environment["MATCHWIRE_CHROMIUM"]
        ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let chromedriver =
        ProcessInfo.processInfo.environment["MATCHWIRE_CHROMEDRIVER"]
        ?? ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }

    /// Why the browser tests cannot run here, or nil when they can.
    static var missing: String? {
        if chromium == nil { return "Chromium is not installed (apt-get install chromium)" }
        if chromedriver == nil { return "chromedriver is not installed (apt-get install chromium-driver)" }
        return nil
    }

    private let driver: ChildProcess
    private let base: String
    private let session: String

    private init(driver: ChildProcess, base: String, session: String) {
        self.driver = driver
        self.base = base
        self.session = session
    }

    /// Starts chromedriver on a free port and a headless browser session in it.
    static func start() async throws -> WebDriver {
        guard let chromium, let chromedriver else { throw Unavailable(description: missing ?? "no browser") }
        let port = try freePort()
        let driver = ChildProcess()
        driver.executableURL = URL(fileURLWithPath: chromedriver)
        driver.arguments = ["--port=\(port)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        let base = "http://127.0.0.1:\(port)"
        // chromedriver answers /status once it listens.
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? await call("GET", "\(base)/status", nil)) != nil
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard ready else {
            driver.terminate()
            throw Failure(description: "chromedriver did not start")
        }
        // As root Chromium refuses its sandbox; a container's /dev/shm is small.
        let capabilities: JSONValue = .object([
            "capabilities": .object([
                "alwaysMatch": .object([
                    "browserName": .string("chrome"),
                    "goog:chromeOptions": .object([
                        "binary": .string(chromium),
                        "args": .array(
                            [
                                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                "--window-size=1280,1000", "--no-first-run", "--disable-extensions",
                            ].map(JSONValue.string)),
                    ]),
                    "goog:loggingPrefs": .object(["browser": .string("ALL")]),
                ])
            ])
        ])
        do {
            let answer = try await call("POST", "\(base)/session", capabilities)
            guard let session = answer["sessionId"]?.stringValue else {
                throw Failure(description: "no session id in \(answer)")
            }
            return WebDriver(driver: driver, base: base, session: session)
        } catch {
            driver.terminate()
            throw error
        }
    }

    func open(_ url: String) async throws {
        _ = try await command("POST", "url", .object(["url": .string(url)]))
    }

    /// Runs `script` (a function body: `return ...`) in the page and returns its value.
    @discardableResult
    func run(_ script: String, _ arguments: [JSONValue] = []) async throws -> JSONValue {
        try await command("POST", "execute/sync", .object(["script": .string(script), "args": .array(arguments)]))
    }

    /// The console messages logged since the last call: level (`SEVERE`, `WARNING`, `INFO`) and text.
    func consoleMessages() async throws -> [(level: String, message: String)] {
        let entries = try await command("POST", "se/log", .object(["type": .string("browser")]))
        return (entries.arrayValue ?? []).map {
            ($0["level"]?.stringValue ?? "", $0["message"]?.stringValue ?? "")
        }
    }

    /// Ends the session and chromedriver (the browser with it).
    func quit() async {
        _ = try? await Self.call("DELETE", "\(base)/session/\(session)", nil, timeout: .seconds(10))
        driver.terminate()
        // Not waitUntilExit: it can wait on a run loop that no one runs in an async test.
        for _ in 0..<100 where driver.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
    }

    private func command(_ method: String, _ path: String, _ body: JSONValue?) async throws -> JSONValue {
        try await Self.call(method, "\(base)/session/\(session)/\(path)", body)
    }

    private static func call(
        _ method: String, _ url: String, _ body: JSONValue?, timeout: TimeAmount = .seconds(60)
    ) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.jsonBytes))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 1 << 24)
        let answer = try JSONValue.parse(bytes.readableBytesView)
        guard response.status.code == 200 else {
            throw Failure(description: "WebDriver \(method) \(url): \(response.status.code) \(answer)")
        }
        return answer["value"] ?? .null
    }

    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "no free port for chromedriver") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
