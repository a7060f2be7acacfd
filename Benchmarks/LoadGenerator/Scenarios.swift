import ArgumentParser
import Foundation
import LoadStatistics
import NIOPosix
import Synchronization

/// How the subscribers' connections were set up: the seconds from the first connect to the last one settled, and
/// the server's CPU over that time.
struct Setup {
    let seconds: Double
    /// Server CPU seconds (user and kernel, and user alone) from before the first connect to the last one settled.
    let cpuSeconds: Double
    let userCpuSeconds: Double

    /// The fields every scenario reports: the rate of connections set up, and the server's CPU per connection, a
    /// figure of the server alone (the rate is the generator's too when its core is the busier one).
    func fields(accepted: Int) -> [String: Any] {
        [
            "connectionsPerSecond": Rate.perSecond(accepted, seconds: seconds),
            "cpuSecondsPerConnection": Rate.per(cpuSeconds, accepted),
            "userCpuSecondsPerConnection": Rate.per(userCpuSeconds, accepted),
        ]
    }
}

/// Connects `count` subscribers, at most 250 connecting at once (``Launcher``), until each is accepted or has
/// failed, or none has for 30 s (a server that stopped answering: nginx past its `worker_connections`), runs
/// `body` with their arrivals and how they were set up, then ends the process: the subscribers' connections are
/// left to the kernel to close.
func withSubscribers(
    _ target: Target, channels: [String], count: Int, startPosition: Int,
    body: @escaping ([Arrivals], Setup) async throws -> Void
) async throws -> Never {
    let launcher = Mutex<Launcher?>(nil)
    let arrivals = (0..<count).map { _ in
        Arrivals(onSettle: { launcher.withLock { $0 }?.settled() })
    }
    let started = RunClock.now
    let made = Launcher(total: count) { number in
        let (host, path) = target.stream(
            number, channel: channels[number % channels.count], startPosition: startPosition)
        let subscriber = Subscriber(
            host: host, port: target.port, path: path, authToken: target.isNchan ? nil : target.token,
            arrivals: arrivals[number])
        subscriber.connect(on: MultiThreadedEventLoopGroup.singleton).whenFailure { _ in arrivals[number].settle() }
    }
    launcher.withLock { $0 = made }
    let before = target.usage()
    made.launch(window: 250)
    // Polled every millisecond; the setup's time is taken from the last subscriber settled, not from the poll.
    let stall: UInt64 = 30_000_000_000
    // The last settle is read before the clock: a settle in between cannot make it later than `now`.
    func sinceLastSettled() -> UInt64 {
        let last = max(made.lastSettledAt, started)
        let now = RunClock.now
        return now > last ? now - last : 0
    }
    while !made.allSettled, sinceLastSettled() < stall {
        try await Task.sleep(for: .milliseconds(1))
    }
    // Read at the poll after the last settle: at most a millisecond of an idle server more.
    let after = target.usage()
    let setup = Setup(
        seconds: Double(max(made.lastSettledAt, started) - started) / 1e9,
        cpuSeconds: (after?.cpuSeconds ?? 0) - (before?.cpuSeconds ?? 0),
        userCpuSeconds: (after?.userCpuSeconds ?? 0) - (before?.userCpuSeconds ?? 0))
    try await body(arrivals, setup)
    exit(0)
}

/// N subscribers on one or more fixtures, actions published at a fixed rate: deliveries, latency, CPU, memory.
struct Fanout: AsyncParsableCommand {
    @OptionGroup var target: Target
    @Option(help: "Subscribers in all.") var subscribers = 5000
    @Option(help: "Fixtures (channels); subscriber i follows fixture i mod fixtures.") var fixtures = 1
    @Option(help: "Actions published per second, in all.") var rate = 20.0
    @Option(help: "Seconds of publishing.") var duration = 10.0

    func run() async throws {
        let publisher = Publisher(target: target)
        var channels: [(id: String, home: String)] = []
        for number in 0..<fixtures {
            channels.append(
                target.isNchan ? ("load\(UUID().uuidString.prefix(8))\(number)", "") : try await publisher.newFixture())
        }
        let total = Int(rate * duration)
        try await withSubscribers(target, channels: channels.map(\.id), count: subscribers, startPosition: 2) {
            arrivals, setup in
            let before = target.usage()
            let sendTimes = SendTimes()
            let start = ContinuousClock.now
            let firstSend = RunClock.now
            // How long each publish took to be answered: Matchwire answers once the action is committed (durable)
            // and handed to the fan-out, nchan once it has the message; a slow commit shows here as well as in
            // the subscribers' latency.
            var answers: [Double] = []
            for index in 0..<total {
                try await Task.sleep(until: start + .seconds(Double(index) / rate))
                let sent = RunClock.now
                sendTimes.record(index, at: sent)
                let channel = channels[index % channels.count]
                try await publisher.publish(index, channel: channel.id, home: channel.home)
                answers.append(Double(RunClock.now - sent) / 1e6)
            }
            let answerSummary = LatencySummary(milliseconds: answers)
            try await Task.sleep(for: .seconds(2))  // the last deliveries
            let after = target.usage()

            let sends = sendTimes.all
            var latencies: [Double] = []
            // From the time the action was due (`firstSend + index / rate`) rather than the request's start: the
            // publisher waits for each answer before the next request, so a server that holds an answer back
            // (busy writing the last publish) also holds back the next action's clock. Counted from when it was
            // due, that wait is in the figure, for both servers alike ("coordinated omission").
            var fromDue: [Double] = []
            var lastArrival = firstSend
            for subscriber in arrivals {
                for arrival in subscriber.arrivals {
                    guard let sent = sends[arrival.index], arrival.at >= sent else { continue }
                    latencies.append(Double(arrival.at - sent) / 1e6)
                    let due = firstSend + UInt64(Double(arrival.index) / rate * 1e9)
                    fromDue.append(Double(arrival.at - min(due, arrival.at)) / 1e6)
                    lastArrival = max(lastArrival, arrival.at)
                }
            }
            let dueSummary = LatencySummary(milliseconds: fromDue)
            let accepted = arrivals.indices.filter { arrivals[$0].accepted != nil }
            let expected = accepted.reduce(0) { sum, number in
                sum + (0..<total).filter { $0 % channels.count == number % channels.count }.count
            }
            let summary = LatencySummary(milliseconds: latencies)
            let window = Double(lastArrival - firstSend) / 1e9
            let cpu = (after?.cpuSeconds ?? 0) - (before?.cpuSeconds ?? 0)
            let userCpu = (after?.userCpuSeconds ?? 0) - (before?.userCpuSeconds ?? 0)
            try report(
                ([
                    "scenario": "fanout", "target": target.name, "subscribers": subscribers,
                    "accepted": accepted.count, "fixtures": fixtures, "rate": rate, "published": total,
                    "expected": expected, "deliveries": summary.count,
                    "deliveriesPerSecond": Rate.perSecond(summary.count, seconds: window),
                    "p50": summary.p50, "p99": summary.p99, "p999": summary.p999, "max": summary.max,
                    "p50FromDue": dueSummary.p50, "p99FromDue": dueSummary.p99,
                    "publishP50": answerSummary.p50, "publishP99": answerSummary.p99,
                    "publishMax": answerSummary.max, "cpuSecondsPerDelivery": Rate.per(cpu, summary.count),
                    "userCpuSecondsPerDelivery": Rate.per(userCpu, summary.count),
                    "peakMemoryBytes": after?.peakResidentBytes ?? 0,
                ] as [String: Any]).merging(setup.fields(accepted: accepted.count)) { mine, _ in mine })
        }
    }
}

/// N authenticated subscribers that receive nothing but heartbeats: server memory per connection.
struct Idle: AsyncParsableCommand {
    @OptionGroup var target: Target
    @Option(help: "Subscribers in all.") var subscribers = 20_000
    @Option(help: "Seconds to hold them once connected (heartbeats flow).") var hold = 12.0

    func run() async throws {
        let publisher = Publisher(target: target)
        let channel = target.isNchan ? "idle\(UUID().uuidString.prefix(8))" : try await publisher.newFixture().id
        let before = target.usage()
        try await withSubscribers(target, channels: [channel], count: subscribers, startPosition: 2) {
            arrivals, setup in
            try await Task.sleep(for: .seconds(hold))
            let after = target.usage()
            let accepted = arrivals.filter { $0.accepted != nil }.count
            let grown = Double((after?.residentBytes ?? 0) - (before?.residentBytes ?? 0))
            try report(
                ([
                    "scenario": "idle", "target": target.name, "subscribers": subscribers, "accepted": accepted,
                    "bytesPerSubscriber": Rate.per(grown, accepted), "residentBytes": after?.residentBytes ?? 0,
                    "peakMemoryBytes": after?.peakResidentBytes ?? 0,
                ] as [String: Any]).merging(setup.fields(accepted: accepted)) { mine, _ in mine })
        }
    }
}

/// Fixtures ingested in parallel, one request in flight per fixture: acknowledged actions and request latency.
struct Ingest: AsyncParsableCommand {
    @OptionGroup var target: Target
    @Option(help: "Fixtures written in parallel.") var fixtures = 50
    @Option(help: "Seconds of ingesting.") var duration = 10.0

    func run() async throws {
        let publisher = Publisher(target: target)
        var channels: [(id: String, home: String)] = []
        for _ in 0..<fixtures { channels.append(try await publisher.newFixture()) }
        let before = target.usage()
        let started = ContinuousClock.now
        let deadline = started + .seconds(duration)
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for (number, channel) in channels.enumerated() {
                group.addTask {
                    var samples: [Double] = []
                    var index = number * 10_000_000
                    while ContinuousClock.now < deadline {
                        let sent = ContinuousClock.now
                        try await publisher.publish(index, channel: channel.id, home: channel.home)
                        let took = ContinuousClock.now - sent
                        samples.append(
                            Double(took.components.attoseconds) / 1e15 + Double(took.components.seconds) * 1000)
                        index += 1
                    }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let after = target.usage()
        let summary = LatencySummary(milliseconds: latencies)
        try report([
            "scenario": "ingest", "target": target.name, "fixtures": fixtures,
            "acknowledged": summary.count, "acknowledgedPerSecond": Rate.perSecond(summary.count, seconds: seconds),
            "p50": summary.p50, "p99": summary.p99, "p999": summary.p999, "max": summary.max,
            "cpuSecondsPerAction": Rate.per((after?.cpuSeconds ?? 0) - (before?.cpuSeconds ?? 0), summary.count),
        ])
        Foundation.exit(0)
    }
}

/// A finished fixture of `packets` packets (Start Fixture, Start Period, Pending points, a dropped collection),
/// for the REST scenario; prints its id.
struct RestFixture: AsyncParsableCommand {
    @OptionGroup var target: Target
    @Option(help: "Packets in the list.") var packets = 1500

    func run() async throws {
        let publisher = Publisher(target: target)
        let fixture = try await publisher.newFixture()
        let points = packets - 3
        var index = 0
        while index < points {
            let batch = (index..<min(index + 500, points)).map { Publisher.pendingPoint($0, home: fixture.home) }
            _ = try await publisher.send(
                "POST", "/ingest/v2/tabletennis/fixtures/\(fixture.id)/actions", "[\(batch.joined(separator: ","))]")
            index += batch.count
        }
        let drop =
            #"{"actionId":"\#(UUID())","fixtureActionTypeId":22,"metadata":{"fixtureStatus":4,"collectionStatus":4}}"#
        _ = try await publisher.send("POST", "/ingest/v2/tabletennis/fixtures/\(fixture.id)/actions", drop)
        try report(["scenario": "rest-fixture", "fixture": fixture.id, "packets": packets])
        Foundation.exit(0)
    }
}
