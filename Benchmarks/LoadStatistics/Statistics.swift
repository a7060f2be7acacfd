/// Latency percentiles and rates for the load generator's report.
public struct LatencySummary: Sendable, Equatable {
    public let count: Int
    /// Milliseconds.
    public let p50: Double
    public let p99: Double
    public let p999: Double
    public let max: Double

    /// Summarises samples in milliseconds; all zero when there are none.
    public init(milliseconds samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        p50 = Self.percentile(sorted, 50)
        p99 = Self.percentile(sorted, 99)
        p999 = Self.percentile(sorted, 99.9)
        max = sorted.last ?? 0
    }

    /// The nearest-rank percentile of sorted samples: the smallest sample with at least `percent`% of the samples
    /// at or below it.
    public static func percentile(_ sorted: [Double], _ percent: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        // The tolerance keeps 99.9% of 1000 at rank 999 despite binary rounding.
        let rank = Int((percent * Double(sorted.count) / 100 - 1e-9).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }
}

public enum Rate {
    /// Events per second; 0 for an empty interval.
    public static func perSecond(_ count: Int, seconds: Double) -> Double {
        seconds > 0 ? Double(count) / seconds : 0
    }

    /// `total` divided by `count`, 0 when there is nothing to divide by: CPU seconds per delivery, bytes per
    /// connection.
    public static func per(_ total: Double, _ count: Int) -> Double {
        count > 0 ? total / Double(count) : 0
    }
}

/// The resources a process has used, from `/proc/PID/stat` and `/proc/PID/status` (Linux).
public struct ProcessUsage: Sendable, Equatable {
    /// User plus system CPU time, seconds.
    public let cpuSeconds: Double
    /// The user part of `cpuSeconds` (the rest is the kernel's, system calls and the network stack).
    public let userCpuSeconds: Double
    /// Resident memory now and at its peak, bytes.
    public let residentBytes: Int
    public let peakResidentBytes: Int

    public init(cpuSeconds: Double, userCpuSeconds: Double, residentBytes: Int, peakResidentBytes: Int) {
        self.cpuSeconds = cpuSeconds
        self.userCpuSeconds = userCpuSeconds
        self.residentBytes = residentBytes
        self.peakResidentBytes = peakResidentBytes
    }

    /// Reads the two files' text. `stat` fields 14 and 15 are utime and stime in clock ticks; the command name
    /// (field 2) may hold spaces, so fields are counted after its closing parenthesis.
    public init?(stat: String, status: String, ticksPerSecond: Double = 100) {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        func kilobytes(_ key: String) -> Int? {
            status.split(separator: "\n").first { $0.hasPrefix(key + ":") }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
        }
        guard let resident = kilobytes("VmRSS"), let peak = kilobytes("VmHWM") else { return nil }
        self.init(
            cpuSeconds: (user + system) / ticksPerSecond, userCpuSeconds: user / ticksPerSecond,
            residentBytes: resident * 1024, peakResidentBytes: peak * 1024)
    }

    /// The sum over several processes (nginx's workers and master).
    public static func sum(_ usages: [ProcessUsage]) -> ProcessUsage {
        ProcessUsage(
            cpuSeconds: usages.reduce(0) { $0 + $1.cpuSeconds },
            userCpuSeconds: usages.reduce(0) { $0 + $1.userCpuSeconds },
            residentBytes: usages.reduce(0) { $0 + $1.residentBytes },
            peakResidentBytes: usages.reduce(0) { $0 + $1.peakResidentBytes })
    }
}
