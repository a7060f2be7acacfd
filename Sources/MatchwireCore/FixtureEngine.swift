import Foundation

/// Turns a fixture's submitted actions into packets: checks each against the action lifecycle (sports.md §2)
/// and the sport's rules, assigns `fixtureSeqNum`, period and `timelineSequence`, and computes the summary.
///
/// A value type with no I/O: a caller tries a whole array on a copy and keeps the copy only once the packets
/// are stored, which is what makes an array all-or-nothing.
///
/// The summary after any packet is the fold of the counting actions in order of first appearance. A new
/// Confirmed action extends the fold by one step; any packet for an action seen before (a confirmation or a
/// correction) folds again from the start, so a late correction gives exactly what a fresh fold gives.
public struct FixtureEngine: Sendable {
    public let fixture: Fixture
    public let rules: any SportRules
    private let catalogue: ActionCatalogue
    public private(set) var state: MatchState
    public private(set) var lastSeqNum = 0
    /// The running totals of the counting actions per team (protocol.md §5), after the last packet.
    public private(set) var statistics = FixtureStatistics()
    /// The `seqNum` of the last statistics packet made: one per packet that changed the totals or finished the
    /// fixture, so it follows from the action packets alone (a rebuilt engine finds the same numbers).
    public private(set) var statisticsSeqNum = 0
    /// The statistics packet the last stored action packet made, nil when it changed nothing. It shares the
    /// action packet's `traceId`: one ingest, one trace.
    public private(set) var lastStatisticsPacket: StatisticsPacket?
    private var records: [UUID: ActionRecord] = [:]
    /// Action ids in order of first appearance.
    private var order: [UUID] = []

    /// What the ledger knows of one action.
    struct ActionRecord: Sendable {
        var period: Int
        var firstSeqNum: Int
        var latest: SendType
        var content: ResolvedAction
        var packets: [(sendType: SendType, submission: ActionSubmission, seqNum: Int)]
    }

    /// The result of one submission.
    public enum Outcome: Sendable, Equatable {
        /// A new packet, to be stored.
        case stored(Packet)
        /// A retry of a packet already stored with this sequence number.
        case duplicate(seqNum: Int)
    }

    public init(fixture: Fixture) throws(RuleViolation) {
        self.fixture = fixture
        self.rules = try fixture.sport.rules(fixture.rules)
        self.catalogue = fixture.sport.catalogue
        self.state = MatchState(rules: rules)
    }

    /// Whether no packet will follow.
    public var isFinished: Bool { state.finished }

    /// Checks one submission and, if it is allowed, returns its packet and advances the engine.
    ///
    /// Every check comes before any change: a refused submission leaves the engine exactly as it was, which lets
    /// a caller keep using it without a copy.
    public mutating func ingest(
        _ submission: ActionSubmission, receivedAt: Timestamp, traceId: String
    ) throws(RuleViolation) -> Outcome {
        let record = records[submission.actionId]
        if let record,
            let retry = record.packets.first(where: {
                $0.sendType == submission.sendType && $0.submission == submission
            })
        {
            return .duplicate(seqNum: retry.seqNum)
        }
        if state.finished {
            throw RuleViolation("The fixture is finished: no action is accepted after it (\(finishReason)).")
        }
        try checkLifecycle(submission, record: record)

        guard lastSeqNum < TimelineSequence.maximumSeqNum else {
            throw RuleViolation("The fixture has reached the largest fixtureSeqNum.")
        }
        let seqNum = lastSeqNum + 1
        var content = try resolve(submission, receivedAt: receivedAt, current: record?.content)
        let updatedRecord: ActionRecord
        let newState: MatchState
        if var record {
            content.clockTime = submission.clockTime ?? record.content.clockTime
            let wasCounting = record.latest.counts
            record.latest = submission.sendType
            if [.pending, .confirmed, .updated].contains(submission.sendType) { record.content = content }
            record.packets.append((submission.sendType, submission, seqNum))
            updatedRecord = record
            if wasCounting || record.latest.counts {
                var corrected = records
                corrected[submission.actionId] = record
                newState = try fold(corrected, correcting: submission)
            } else {
                newState = state
            }
        } else {
            // Period-0 actions stand outside the match clock (the feed's pre-match packets show 00:00).
            let computed =
                content.definition.placement == .preMatch ? ClockTime.zero : state.clock.value(at: content.timestamp)
            content.clockTime = submission.clockTime ?? computed
            updatedRecord = ActionRecord(
                period: assignedPeriod(for: content.definition), firstSeqNum: seqNum, latest: submission.sendType,
                content: content, packets: [(submission.sendType, submission, seqNum)])
            // A Pending action does not count yet, but it must be possible here.
            var next = state
            try CommonRules.apply(content, to: &next, rules: rules)
            newState = submission.sendType == .pending ? state : next
        }
        let period = updatedRecord.period
        if let claimed = submission.period, claimed != period {
            throw RuleViolation("period \(claimed) is wrong: this action belongs to period \(period).")
        }

        let action = FixtureAction(
            actionId: submission.actionId, fixtureId: fixture.id, period: period, clockTime: content.clockTime,
            timestamp: content.timestamp, sendType: submission.sendType, fixtureSeqNum: seqNum,
            actionTypeId: content.definition.id, actionType: content.definition.name, subType: content.subType,
            team: content.team, player: content.player, metadata: content.metadata,
            relatedActionIds: content.relatedActionIds)
        let packet = Packet(traceId: traceId, action: action, summary: FixtureSummary(newState, at: content.timestamp))
        // The action's share of the totals before and after this packet: when they differ, the totals changed.
        let counted = record.flatMap { FixtureStatistics.Entry(latest: $0.latest, content: $0.content) }
        let counts = FixtureStatistics.Entry(latest: updatedRecord.latest, content: updatedRecord.content)
        let newStatistics = statistics.replacing(counted, with: counts)
        let statisticsPacket =
            counted != counts || (newState.finished && !state.finished)
            ? StatisticsPacket(
                seqNum: statisticsSeqNum + 1, traceId: traceId, finished: newState.finished, fixtureId: fixture.id,
                timestamp: content.timestamp, fixtureSeqNum: seqNum, statistics: newStatistics) : nil

        if record == nil { order.append(submission.actionId) }
        records[submission.actionId] = updatedRecord
        state = newState
        lastSeqNum = seqNum
        statistics = newStatistics
        lastStatisticsPacket = statisticsPacket
        if let statisticsPacket { statisticsSeqNum = statisticsPacket.seqNum }
        return .stored(packet)
    }

    private var finishReason: String {
        state.collectionStatus == .collectionDropped ? "collection was dropped" : "Post Match Check Complete was sent"
    }

    // MARK: The action lifecycle

    private func checkLifecycle(_ submission: ActionSubmission, record: ActionRecord?) throws(RuleViolation) {
        let next = submission.sendType
        let id = submission.actionId.wire
        guard let record else {
            guard next == .pending || next == .confirmed else {
                throw RuleViolation(
                    "\(next.name) refers to action \(id), which is unknown: a new action starts as Pending or Confirmed."
                )
            }
            return
        }
        let allowed: [SendType]
        switch record.latest {
        case .pending: allowed = [.pending, .confirmed, .cancelled]
        case .confirmed, .updated, .restored: allowed = [.updated, .deleted]
        case .deleted: allowed = [.restored, .updated]
        case .cancelled: allowed = []
        }
        guard allowed.contains(next) else {
            let options =
                allowed.isEmpty
                ? "nothing may follow" : "only " + allowed.map(\.name).joined(separator: " or ") + " may follow"
            throw RuleViolation(
                "\(next.name) is refused for action \(id): it is \(record.latest.name), and \(options).")
        }
    }

    // MARK: Resolving a submission against the catalogue and the fixture

    /// The catalogue's action a submission names: by id, by name, or by both when they agree.
    private func definition(of reference: ActionSubmission.TypeReference) throws(RuleViolation) -> ActionDefinition {
        switch reference {
        case .id(let id), .both(let id, _):
            guard let found = catalogue.definition(id: id) else {
                throw RuleViolation("fixtureActionTypeId \(id) is not an action of \(fixture.sport.rawValue).")
            }
            if case .both(_, let name) = reference, catalogue.definition(name: name) != found {
                throw RuleViolation(
                    "fixtureActionTypeId \(id) is \(found.name), but fixtureActionType says '\(name)': "
                        + "send one of them, or both naming the same action.")
            }
            return found
        case .name(let name):
            guard let found = catalogue.definition(name: name) else {
                throw RuleViolation("fixtureActionType '\(name)' is not an action of \(fixture.sport.rawValue).")
            }
            return found
        }
    }

    private func resolve(
        _ submission: ActionSubmission, receivedAt: Timestamp, current: ResolvedAction?
    ) throws(RuleViolation) -> ResolvedAction {
        let definition = try self.definition(of: submission.actionType)
        if let current, [.cancelled, .deleted, .restored].contains(submission.sendType),
            current.definition != definition
        {
            throw RuleViolation(
                "\(submission.sendType.name) must name the action's type, \(current.definition.name), not \(definition.name) "
                    + "(send Updated to change the type).")
        }
        var subType: ActionSubType?
        if let subTypeId = submission.subTypeId {
            guard let found = definition.subTypes.first(where: { $0.id == subTypeId }) else {
                throw RuleViolation("fixtureActionSubTypeId \(subTypeId) is not a sub type of \(definition.name).")
            }
            subType = found
        } else if definition.outcomeIsSubType, [.confirmed, .updated].contains(submission.sendType) {
            throw RuleViolation(
                "\(definition.name) needs its outcome when \(submission.sendType.name): "
                    + "fixtureActionSubTypeId \(definition.subTypeList).")
        }
        var team: TeamRef?
        if let teamId = submission.teamId {
            guard definition.team != .none else {
                throw RuleViolation("\(definition.name) does not belong to a team: leave team out.")
            }
            guard let found = fixture.team(id: teamId) else {
                throw RuleViolation("team \(teamId.wire) is not a team of this fixture.")
            }
            team = found
        } else if definition.team == .required {
            throw RuleViolation("\(definition.name) needs a team: give team.id of the home or away team.")
        }
        return ResolvedAction(
            definition: definition, subType: subType, team: team, player: submission.player,
            timestamp: (submission.timestamp ?? receivedAt).wholeMillisecond, clockTime: submission.clockTime ?? .zero,
            metadata: submission.metadata, relatedActionIds: submission.relatedActionIds)
    }

    private func assignedPeriod(for definition: ActionDefinition) -> Int {
        switch definition.placement {
        case .preMatch: 0
        case .current: state.currentPeriod
        case .newPeriod: state.periods.count + 1
        }
    }

    // MARK: Folding

    /// The state from a fresh fold of the counting actions in order of first appearance.
    private func fold(_ records: [UUID: ActionRecord], correcting submission: ActionSubmission) throws(RuleViolation)
        -> MatchState
    {
        var folded = MatchState(rules: rules)
        for id in order {
            guard let record = records[id], record.latest.counts else { continue }
            do {
                try CommonRules.apply(record.content, to: &folded, rules: rules)
            } catch {
                let which = id == submission.actionId ? "it" : "action \(id.wire) (fixtureSeqNum \(record.firstSeqNum))"
                throw RuleViolation(
                    "\(submission.sendType.name) of action \(submission.actionId.wire) is refused: "
                        + "with it, \(which) would break the rules: \(error.message)")
            }
        }
        return folded
    }
}
