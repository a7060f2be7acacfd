import Foundation

/// One generated action: what a scout's device sends, with the time it is sent.
public struct SimulatedAction: Sendable, Hashable {
    public let submission: ActionSubmission
    /// When the scout sends it, also the action's own `timestamp`.
    public let timestamp: Timestamp

    /// The same action `microseconds` later (earlier if negative). A generated match does not depend on its
    /// start, so a whole match can be moved in time.
    public func shifted(by microseconds: Int64) -> SimulatedAction {
        let moved = Timestamp(microseconds: timestamp.microseconds + microseconds)
        var submission = submission
        submission.timestamp = moved
        return SimulatedAction(submission: submission, timestamp: moved)
    }
}

/// A scout recording a generated match: keeps the match time, sends each action through a private
/// `FixtureEngine` (so every decision can read the live score, and a generated action the rules would refuse
/// is a bug caught at once), and collects the actions.
struct Scout {
    let fixture: Fixture
    private(set) var engine: FixtureEngine
    var random: SeededGenerator
    private(set) var time: Timestamp
    private(set) var actions: [SimulatedAction] = []
    let lineups: [Side: Lineup]

    init(fixture: Fixture, seed: UInt64, start: Timestamp, playersPerSide: (starting: Int, substitutes: Int)) throws {
        self.fixture = fixture
        engine = try FixtureEngine(fixture: fixture)
        random = SeededGenerator(seed: seed)
        time = start
        var lineups: [Side: Lineup] = [:]
        for side in [Side.home, .away] {
            lineups[side] = Lineup.generate(
                team: side == .home ? fixture.home : fixture.away, starting: playersPerSide.starting,
                substitutes: playersPerSide.substitutes, using: &random)
        }
        self.lineups = lineups
    }

    var state: MatchState { engine.state }

    func team(_ side: Side) -> TeamRef { side == .home ? fixture.home : fixture.away }

    /// Sends one action now and returns its id. A refusal here means the generator broke the rules.
    @discardableResult
    mutating func send(
        _ type: Int, _ side: Side? = nil, subType: Int? = nil, player: PlayerRef? = nil, metadata: JSONValue? = nil,
        sendType: SendType = .confirmed, id: UUID? = nil, related: [UUID] = []
    ) throws -> UUID {
        let actionId = id ?? random.uuid()
        let submission = ActionSubmission(
            actionId: actionId, actionType: .id(type), sendType: sendType, subTypeId: subType,
            teamId: side.map { team($0).id }, player: player, timestamp: time, metadata: metadata,
            relatedActionIds: related)
        do {
            _ = try engine.ingest(submission, receivedAt: time, traceId: "")
        } catch {
            throw SimulationError(
                "the generated \(fixture.sport.rawValue) match broke the rules at action \(actions.count + 1) "
                    + "(type \(type)): \(error.message)")
        }
        actions.append(SimulatedAction(submission: submission, timestamp: time))
        return actionId
    }

    /// Lets `seconds` of match time pass (fractions kept to the millisecond).
    mutating func wait(_ seconds: Double) {
        time = later(by: seconds)
    }

    /// The match time `seconds` from now, to the millisecond.
    func later(by seconds: Double) -> Timestamp {
        Timestamp(microseconds: time.microseconds + Int64((seconds * 1000).rounded()) * 1000)
    }

    /// Lets the time pass until `end`, if it is not past already.
    mutating func wait(until end: Timestamp) {
        if end.microseconds > time.microseconds { time = end }
    }

    /// Lets a random time in `range` seconds pass.
    mutating func wait(_ range: ClosedRange<Double>) {
        wait(Double.random(in: range, using: &random))
    }

    /// True with probability `probability`.
    mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &random) < probability
    }

    mutating func pick<T>(_ options: [T]) -> T {
        options[Int.random(in: 0..<options.count, using: &random)]
    }

    /// A player of `side` now on the field or court.
    mutating func player(_ side: Side) -> PlayerRef {
        let lineup = lineups[side] ?? Lineup(players: [], startingCount: 0)
        return pick(Array(lineup.players.prefix(lineup.startingCount))).reference
    }

    /// The pre-match actions every sport's scout sends: colours, conditions, location, lineups, players ready.
    mutating func preMatch() throws {
        try send(
            CommonAction.teamColours,
            metadata: ["homeTeamColour": .string(pick(Palette.colours)), "awayTeamColour": .string(pick(Palette.away))])
        wait(10...40)
        try send(
            CommonAction.matchConditions,
            metadata: [
                "pitchConditions": ["quality": .number(Int.random(in: 0...2, using: &random)), "surface": 0],
                "weatherConditions": [
                    "rain": .number(Int.random(in: 0...2, using: &random)),
                    "wind": .number(Int.random(in: 0...2, using: &random)),
                    "temperature": .number(Int.random(in: 0...2, using: &random)),
                ],
            ])
        wait(5...20)
        let venue = pick(Palette.venues)
        try send(
            CommonAction.deviceLocation,
            metadata: [
                // Ten-thousandths of a degree, written exactly (a Decimal is never NaN here).
                "latitude": .number(JSONNumber(exactly: Decimal(venue.latitude) / 10_000) ?? JSONNumber(0)),
                "longitude": .number(JSONNumber(exactly: Decimal(venue.longitude) / 10_000) ?? JSONNumber(0)),
            ])
        for side in [Side.home, .away] {
            wait(20...90)
            try send(CommonAction.lineups, side, metadata: lineups[side]?.metadata(team: team(side)))
        }
        wait(120...600)
        try send(CommonAction.playersReady)
        wait(30...120)
    }

    /// End Fixture, then Post Match Check Complete a few minutes later.
    mutating func postMatch() throws {
        wait(5...30)
        try send(CommonAction.endFixture)
        wait(120...600)
        try send(CommonAction.postMatchCheckComplete)
    }
}

/// A generated match that broke the rules: a fault of the generator, never of the caller.
public struct SimulationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension SeededGenerator {
    /// A version-4 UUID drawn from the generator, so a seed gives the same ids.
    public mutating func uuid() -> UUID {
        let high = next()
        let low = next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: high >> (8 * index))
            bytes[8 + index] = UInt8(truncatingIfNeeded: low >> (8 * index))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
