import Foundation
import MatchwireCore
import Testing

/// The sendType lifecycle (sports.md §2) and its effect on the score.
@Suite struct LifecycleTests {
    @Test func pendingNeverChangesTheScoreAndConfirmedCountsIt() throws {
        var match = try MatchScript()
        try match.startMatch()
        let id = UUID()
        let pending = try match.send(1102, .home, sendType: .pending, actionId: id)
        #expect(pending.summary.periods[0].homePeriodScore == 0)
        let confirmed = try match.send(1102, .home, sendType: .confirmed, actionId: id)
        #expect(confirmed.summary.periods[0].homePeriodScore == 1)
        #expect(confirmed.action.period == pending.action.period)
    }

    @Test func cancelledPendingActionNeverCountsAndAcceptsNothingMore() throws {
        var match = try MatchScript()
        try match.startMatch()
        let id = UUID()
        try match.send(1102, .home, sendType: .pending, actionId: id)
        let cancelled = try match.send(1102, .home, sendType: .cancelled, actionId: id)
        #expect(cancelled.summary.periods[0].homePeriodScore == 0)
        #expect(
            refusal { try match.send(1102, .home, sendType: .confirmed, actionId: id) }.contains(
                "it is Cancelled, and nothing may follow"))
    }

    @Test func deletedRemovesThePointAndRestoredBringsItBack() throws {
        var match = try MatchScript()
        try match.startMatch()
        let id = UUID()
        try match.point(.home, actionId: id)
        try match.point(.away)
        let deleted = try match.send(1102, .home, sendType: .deleted, actionId: id)
        #expect(deleted.summary.periods[0].homePeriodScore == 0)
        #expect(deleted.summary.periods[0].awayPeriodScore == 1)
        #expect(deleted.action.sendType == .deleted)
        let restored = try match.send(1102, .home, sendType: .restored, actionId: id)
        #expect(restored.summary.periods[0].homePeriodScore == 1)
    }

    @Test func confirmedForADeletedActionIsRefused() throws {
        var match = try MatchScript()
        try match.startMatch()
        let id = UUID()
        try match.point(.home, actionId: id)
        try match.send(1102, .home, sendType: .deleted, actionId: id)
        #expect(
            refusal { try match.send(1102, .away, sendType: .confirmed, actionId: id) }.contains(
                "only Restored or Updated may follow"))
    }

    @Test func cancelledForAnActionThatIsNotPendingIsRefused() throws {
        var match = try MatchScript()
        try match.startMatch()
        let id = UUID()
        try match.point(.home, actionId: id)
        #expect(
            refusal { try match.send(1102, .home, sendType: .cancelled, actionId: id) }.contains(
                "only Updated or Deleted may follow"))
    }

    @Test func correctionsOfUnknownActionsAreRefused() throws {
        var match = try MatchScript()
        try match.startMatch()
        for type in [SendType.updated, .deleted, .cancelled, .restored] {
            #expect(refusal { try match.send(1102, .home, sendType: type) }.contains("which is unknown"))
        }
    }

    @Test func updatedMovesThePointToTheOtherSide() throws {
        var match = try MatchScript()
        try match.startMatch()
        let id = UUID()
        try match.point(.home, actionId: id)
        try match.points("HH")
        let updated = try match.send(1102, .away, sendType: .updated, actionId: id)
        #expect((updated.summary.periods[0].homePeriodScore, updated.summary.periods[0].awayPeriodScore) == (2, 1))
    }

    @Test func lateCorrectionGivesWhatAFreshFoldGives() throws {
        var match = try MatchScript()
        try match.startMatch()
        let early = UUID()
        try match.point(.away, actionId: early)
        try match.homeWinsGame()
        try match.nextGame()
        try match.points("HAH")
        try match.send(1102, .away, sendType: .deleted, actionId: early)

        var fresh = try MatchScript()
        try fresh.startMatch()
        try fresh.send(1104)  // a let where the deleted point was, so that the times line up
        try fresh.homeWinsGame()
        try fresh.nextGame()
        try fresh.points("HAH")
        #expect(match.engine.state == fresh.engine.state)
    }

    @Test func correctionThatWouldMakeALaterActionImpossibleIsRefused() throws {
        var match = try MatchScript()
        try match.startMatch()
        let winning = UUID()
        try match.points("HHHHHHHHHH")
        try match.point(.home, actionId: winning)
        try match.nextGame()
        let message = refusal { try match.send(1102, .home, sendType: .deleted, actionId: winning) }
        #expect(message.contains("would break the rules"))
        #expect(message.contains("End Period is refused"))
        #expect(match.matchScore == (1, 0), "nothing changed")
    }

    @Test func deletedMustNameTheActionsType() throws {
        var match = try MatchScript()
        try match.startMatch()
        let id = UUID()
        try match.point(.home, actionId: id)
        #expect(
            refusal { try match.send(1106, .home, sendType: .deleted, actionId: id) }.contains(
                "must name the action's type, Point Scored"))
    }

    @Test func identicalRetryIsRecognisedAndNotStoredAgain() throws {
        var match = try MatchScript()
        try match.startMatch()
        let submission = ActionSubmission(
            actionId: UUID(), actionType: .id(1102), teamId: match.fixture.home.id,
            timestamp: Timestamp(iso8601: "2025-05-20T08:31:00.000Z"))
        let first = try match.engine.ingest(submission, receivedAt: match.clock, traceId: "a")
        guard case .stored(let packet) = first else { throw RuleViolation("not stored") }
        let retry = try match.engine.ingest(submission, receivedAt: match.clock, traceId: "b")
        #expect(retry == .duplicate(seqNum: packet.action.fixtureSeqNum))
        #expect(match.engine.lastSeqNum == packet.action.fixtureSeqNum)
        var changed = submission
        changed.teamId = match.fixture.away.id
        #expect(
            refusal { _ = try match.engine.ingest(changed, receivedAt: match.clock, traceId: "c") }.contains(
                "Confirmed is refused"))
    }

    @Test func packetTimestampsAreWrittenToTheMillisecondWhateverTheScoutSent() throws {
        var match = try MatchScript()
        for (sent, written) in [
            ("2025-05-20T08:30:01Z", "2025-05-20T08:30:01.000Z"),
            ("2025-05-20T08:30:01.123456Z", "2025-05-20T08:30:01.123Z"),
        ] {
            let submission = ActionSubmission(actionId: UUID(), actionType: .id(2), timestamp: Timestamp(iso8601: sent))
            guard case .stored(let packet) = try match.engine.ingest(submission, receivedAt: match.clock, traceId: "")
            else { throw RuleViolation("not stored") }
            #expect(packet.action.timestamp.description == written)
        }
    }

    @Test func sequenceNumbersAndTimelineFollowStorageOrder() throws {
        var match = try MatchScript()
        let colours = try match.send(2)
        try match.startMatch()
        let point = try match.point(.home)
        #expect(colours.action.timelineSequence.description == "0.0000000000000001")
        #expect(point.action.fixtureSeqNum == 4)
        #expect(point.action.timelineSequence.description == "1.0000000000000004")
    }
}
