import Foundation
import MatchwireCore
import Testing

/// For random sequences of actions and corrections, in every sport, the summary after each packet is exactly
/// what a fresh fold of the counting actions gives (sports.md §2), the statistics exactly a fresh count of every
/// action's latest state (protocol.md §5), and a refused packet changes nothing.
@Suite struct FoldPropertyTests {
    /// What the test knows of one action: its latest content and its latest send type.
    struct ModelAction {
        var type: Int
        var side: Side?
        var subType: Int?
        var metadata: JSONValue?
        var timestamp: Timestamp
        var latest: SendType
    }

    /// An action the generator may send: its type and what it needs.
    struct Move {
        let type: Int
        var needsTeam = false
        var subTypes: [Int] = []
        var metadata: JSONValue?
    }

    static let common: [Move] = [
        Move(type: 4), Move(type: 6), Move(type: 7), Move(type: 8), Move(type: 9),
        Move(type: 15, needsTeam: true), Move(type: 52, needsTeam: true), Move(type: 58),
        Move(type: 10, metadata: ["clockTime": "03:00"]),
    ]

    /// A sport's own actions that change the summary, from its catalogue, each with the team, sub types and
    /// metadata it needs; the scoring ones (effect `.sport`) twice, so that matches move on.
    static func moves(_ sport: Sport) -> [Move] {
        sport.rulesType.actions.filter { $0.effect != .none }.flatMap { definition in
            let move = Move(
                type: definition.id, needsTeam: definition.team == .required, subTypes: definition.subTypes.map(\.id),
                metadata: definition.metadataExample)
            return definition.effect == .sport ? [move, move] : [move]
        }
    }

    /// End Fixture and Post Match Check Complete, tried only near the end so that most of the match is played.
    static let ending = [Move(type: 5), Move(type: 21)]
    static let steps = 400

    static let cases: [(Sport, UInt64)] = Sport.allCases.flatMap { sport in (1...12).map { (sport, UInt64($0)) } }

    @Test(arguments: cases)
    func incrementalSummaryEqualsAFreshFold(sport: Sport, seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var match = try MatchScript(sport: sport, rules: try sport.rules(sport.shortMatchRules).rulesObject)
        // The sport's own actions twice as likely as the common ones, so periods last a while.
        let playing = Self.common + Self.moves(sport) + Self.moves(sport)
        var model: [UUID: ModelAction] = [:]
        var order: [UUID] = []
        var accepted = 0
        var corrections = 0

        for step in 0..<Self.steps {
            let moves = step < Self.steps - 40 ? playing : playing + Self.ending
            let before = match.engine.state
            let statisticsBefore = (match.engine.statistics, match.engine.statisticsSeqNum)
            let lastSeqNum = match.engine.lastSeqNum
            let correcting = !order.isEmpty && random.next() % 3 == 0
            let id = correcting ? order[Int(random.next() % UInt64(order.count))] : UUID()
            var action: ModelAction
            let sendType: SendType
            if correcting, let known = model[id] {
                action = known
                sendType = Self.correction(after: known.latest, using: &random)
                if sendType == .updated || sendType == .confirmed {
                    // A new outcome, and sometimes another type altogether (a 2PT shot turned into a 3PT shot, a
                    // point into a penalty point), with one of its sub types.
                    var move = moves.first { $0.type == known.type }
                    if let current = move, current.needsTeam, random.next() % 4 == 0 {
                        let others = moves.filter { $0.needsTeam && $0.type != current.type }
                        if !others.isEmpty {
                            move = others[Int(random.next() % UInt64(others.count))]
                            action.type = move?.type ?? action.type
                            action.metadata = move?.metadata
                            action.subType = nil
                        }
                    }
                    if let subTypes = move?.subTypes, !subTypes.isEmpty {
                        action.subType = subTypes[Int(random.next() % UInt64(subTypes.count))]
                    }
                }
            } else {
                let move = moves[Int(random.next() % UInt64(moves.count))]
                sendType = random.next() % 5 == 0 ? .pending : .confirmed
                let outcomeKnown = sendType != .pending || random.next() % 2 == 0
                let subType =
                    move.subTypes.isEmpty || !outcomeKnown
                    ? nil : move.subTypes[Int(random.next() % UInt64(move.subTypes.count))]
                action = ModelAction(
                    type: move.type, side: move.needsTeam ? (random.next() % 2 == 0 ? .home : .away) : nil,
                    subType: subType, metadata: move.metadata, timestamp: match.clock, latest: sendType)
            }

            do {
                let packet = try match.send(
                    action.type, action.side, sendType: sendType, actionId: id, subType: action.subType,
                    metadata: action.metadata, after: Int(random.next() % 40))
                accepted += 1
                if correcting { corrections += 1 }
                if [.pending, .confirmed, .updated].contains(sendType) {
                    action.timestamp = packet.action.timestamp
                } else if let known = model[id] {
                    action = known
                }
                action.latest = sendType
                if model[id] == nil { order.append(id) }
                model[id] = action
                let fresh = try Self.freshFold(match.fixture, model: model, order: order)
                #expect(
                    match.engine.state == fresh, "seed \(seed), step \(step): \(sendType.name) of \(action.type)")
                #expect(packet.summary == FixtureSummary(fresh, at: packet.action.timestamp))
                // The statistics too: the incremental totals equal a fresh count of every action's latest state.
                let counted = FixtureStatistics(
                    counting: order.compactMap { id in
                        guard let action = model[id], action.latest.counts, let side = action.side else { return nil }
                        return FixtureStatistics.Entry(side: side, typeId: action.type, subTypeId: action.subType)
                    })
                #expect(match.engine.statistics == counted, "seed \(seed), step \(step): statistics")
                if match.engine.state != fresh || match.engine.statistics != counted { return }
            } catch {
                #expect(match.engine.state == before, "seed \(seed), step \(step): a refusal changed the state")
                #expect(match.engine.lastSeqNum == lastSeqNum, "seed \(seed), step \(step): a refusal took a number")
                #expect(
                    match.engine.statistics == statisticsBefore.0
                        && match.engine.statisticsSeqNum == statisticsBefore.1,
                    "seed \(seed), step \(step): a refusal changed the statistics")
            }
        }
        #expect(accepted > Self.steps / 5, "seed \(seed): enough of the random actions were accepted to mean something")
        #expect(corrections > Self.steps / 20, "seed \(seed): enough corrections were accepted")
    }

    /// A plausible next send type for an action whose latest is `latest` (sometimes an impossible one).
    static func correction(after latest: SendType, using random: inout SeededGenerator) -> SendType {
        let options: [SendType]
        switch latest {
        case .pending: options = [.confirmed, .confirmed, .cancelled, .pending]
        case .confirmed, .updated, .restored: options = [.updated, .deleted, .restored]
        case .deleted: options = [.restored, .updated, .confirmed]
        case .cancelled: options = [.confirmed]
        }
        return options[Int(random.next() % UInt64(options.count))]
    }

    /// A new engine given only the counting actions, in order of first appearance, each with its latest content.
    static func freshFold(_ fixture: Fixture, model: [UUID: ModelAction], order: [UUID]) throws -> MatchState {
        var engine = try FixtureEngine(fixture: fixture)
        for id in order {
            guard let action = model[id], action.latest.counts else { continue }
            let submission = ActionSubmission(
                actionId: id, actionType: .id(action.type), sendType: .confirmed, subTypeId: action.subType,
                teamId: action.side.map { $0 == .home ? fixture.home.id : fixture.away.id }, metadata: action.metadata)
            _ = try engine.ingest(submission, receivedAt: action.timestamp, traceId: "")
        }
        return engine.state
    }
}
