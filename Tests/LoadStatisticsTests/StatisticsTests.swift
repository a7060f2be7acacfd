import LoadStatistics
import Testing

@Suite struct StatisticsTests {
    @Test func nearestRankPercentilesOfOneToAThousand() {
        let samples = (1...1000).map(Double.init).shuffled()
        let summary = LatencySummary(milliseconds: samples)
        #expect(summary.count == 1000)
        #expect(summary.p50 == 500)
        #expect(summary.p99 == 990)
        #expect(summary.p999 == 999)
        #expect(summary.max == 1000)
    }

    @Test func percentilesOfFewSamplesAreSamples() {
        #expect(LatencySummary.percentile([2, 4, 8], 50) == 4)
        #expect(LatencySummary.percentile([2, 4, 8], 99) == 8)
        #expect(LatencySummary.percentile([7], 99.9) == 7)
        #expect(LatencySummary.percentile([1, 2], 0) == 1)
        #expect(LatencySummary(milliseconds: []) == LatencySummary(milliseconds: []))
        #expect(LatencySummary(milliseconds: []).p99 == 0)
    }

    @Test func onePercentOfSlowSamplesShowsAtP99ButNotAtP50() {
        let samples = Array(repeating: 1.0, count: 985) + Array(repeating: 50.0, count: 15)
        let summary = LatencySummary(milliseconds: samples)
        #expect(summary.p50 == 1)
        #expect(summary.p99 == 50)
    }

    @Test func rates() {
        #expect(Rate.perSecond(500, seconds: 2) == 250)
        #expect(Rate.perSecond(5, seconds: 0) == 0)
        #expect(Rate.per(3, 4) == 0.75)
        #expect(Rate.per(3, 0) == 0)
    }

    @Test func processUsageFromProcFiles() throws {
        let stat = "4242 (matchwire serve) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 9 0 100 0 0"
        let status = "Name:\tmatchwire\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t9\n"
        let usage = try #require(ProcessUsage(stat: stat, status: status))
        #expect(usage.cpuSeconds == 3)
        #expect(usage.userCpuSeconds == 2.5)
        #expect(usage.residentBytes == 10_485_760)
        #expect(usage.peakResidentBytes == 20_971_520)
        #expect(ProcessUsage.sum([usage, usage]).cpuSeconds == 6)
        #expect(ProcessUsage.sum([usage, usage]).userCpuSeconds == 5)
        #expect(ProcessUsage(stat: "garbage", status: status) == nil)
    }
}
