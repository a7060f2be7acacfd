/// One side of a fixture.
public enum Side: Sendable, Hashable {
    case home
    case away

    public var other: Side { self == .home ? .away : .home }
}

/// A started period: its bounds and its scores.
public struct PeriodState: Sendable, Hashable {
    public let id: Int
    public let type: PeriodType
    public let label: String
    public let start: Timestamp
    public var end: Timestamp?
    /// The match score as of this period (for table tennis: games won).
    public var homeScore = 0
    public var awayScore = 0
    /// The score within this period (for table tennis: points in the game).
    public var homePeriodScore = 0
    public var awayPeriodScore = 0

    public var isOpen: Bool { end == nil }

    public func periodScore(_ side: Side) -> Int { side == .home ? homePeriodScore : awayPeriodScore }
}

/// The match clock: the reading at the last start or change, and whether it runs since then.
public struct ClockState: Sendable, Hashable {
    public var reading: ClockTime = .zero
    public var runningSince: Timestamp?
    public var countsDown = false

    public var isRunning: Bool { runningSince != nil }

    /// The clock value at `time`: the reading plus (or minus) the whole seconds run since the last start.
    /// A clock counting down stops at 00:00.
    public func value(at time: Timestamp) -> ClockTime {
        guard let since = runningSince else { return reading }
        let elapsed = since.wholeSeconds(until: time)
        return ClockTime(seconds: countsDown ? max(0, reading.seconds - elapsed) : reading.seconds + elapsed)
    }

    /// The clock as period `number` starts: stopped at the period's start, or 00:00 if the period has no clock.
    public init(startOfPeriod number: Int, rules: any SportRules) {
        let start = rules.clockStart(ofPeriod: number)
        self.init(reading: start?.reading ?? .zero, runningSince: nil, countsDown: start?.countsDown ?? false)
    }

    public init(reading: ClockTime = .zero, runningSince: Timestamp? = nil, countsDown: Bool = false) {
        self.reading = reading
        self.runningSince = runningSince
        self.countsDown = countsDown
    }

    /// Whether the clock runs at `time`: started, and not a countdown that has reached 00:00.
    public func isRunning(at time: Timestamp) -> Bool {
        isRunning && !(countsDown && value(at: time).seconds == 0)
    }

    public mutating func stop(at time: Timestamp) {
        reading = value(at: time)
        runningSince = nil
    }
}

/// Everything the summary says about a match after some actions: the result of folding the counting
/// actions, in order of first appearance, through the sport's rules.
public struct MatchState: Sendable, Hashable {
    public var status: FixtureStatus = .scheduled
    public var collectionStatus: CollectionStatus = .collectionScheduled
    public var finished = false
    /// Start Fixture has been applied.
    public var hasStarted = false
    /// End Fixture has been applied.
    public var hasEnded = false
    public var periods: [PeriodState] = []
    public var homeScore = 0
    public var awayScore = 0
    public var homeInPossession = true
    public var clock = ClockState()
    /// What the sport keeps beyond this shared state, as a value of its own type (basketball: the free throws
    /// still to come): see ``SportState``.
    public var sport = SportState()

    public init() {}

    /// The state before any action: the clock shows the start of the first period (10:00 in basketball).
    public init(rules: any SportRules) {
        clock = ClockState(startOfPeriod: 1, rules: rules)
    }

    /// The ball (or serve) to `side`.
    public mutating func givePossession(to side: Side) {
        homeInPossession = side == .home
    }

    /// The latest started period, 1 before the first.
    public var currentPeriod: Int { periods.last?.id ?? 1 }

    public var openPeriod: PeriodState? {
        guard let last = periods.last, last.isOpen else { return nil }
        return last
    }

    public func score(_ side: Side) -> Int { side == .home ? homeScore : awayScore }

    /// Adds points to the open period and, unless `periodOnly`, to the match score.
    public mutating func addPoints(_ points: Int, to side: Side, periodOnly: Bool = false) {
        guard var period = periods.last, period.isOpen else { return }
        if side == .home { period.homePeriodScore += points } else { period.awayPeriodScore += points }
        periods[periods.count - 1] = period
        if !periodOnly { addToMatchScore(points, to: side) }
    }

    /// Adds to the match score only (table tennis credits a game, not a point) and mirrors it in the open period.
    public mutating func addToMatchScore(_ points: Int, to side: Side) {
        if side == .home { homeScore += points } else { awayScore += points }
        mirrorMatchScoreInOpenPeriod()
    }

    mutating func mirrorMatchScoreInOpenPeriod() {
        guard var period = periods.last, period.isOpen else { return }
        period.homeScore = homeScore
        period.awayScore = awayScore
        periods[periods.count - 1] = period
    }
}

/// The part of a match's state that only one sport has, kept as one value of a type the sport's rules define
/// (`BasketballState`), so that the shared state has no sport's fields. Read and written by type, with the value
/// a match starts with: `state.sport[BasketballState.self, default: BasketballState()]`. A value equal to that
/// default is not kept, so that a state that went there and back equals one that never moved (the fold tests
/// compare whole states).
public struct SportState: Hashable, @unchecked Sendable {
    // Unchecked: only values that are Sendable are ever stored (the subscript's constraint).
    private var value: AnyHashable?

    public init() {}

    public subscript<Value: Hashable & Sendable>(_ type: Value.Type, default initial: @autoclosure () -> Value) -> Value
    {
        get { value?.base as? Value ?? initial() }
        set { value = newValue == initial() ? nil : AnyHashable(newValue) }
    }
}
