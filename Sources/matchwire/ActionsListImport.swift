import Foundation
import MatchwireCore
import MatchwireStore

/// Reads an actions list (the REST array of a finished fixture, as `export` writes it) and rebuilds the fixture
/// from it: every packet is replayed through the rules engine, in `fixtureSeqNum` order, and must come out the same
/// as in the file. So an imported fixture is one the server could have recorded itself, and a file edited by hand
/// is refused at the first packet that does not add up.
struct ActionsListImport {
    let fixture: Fixture
    let packets: [StoredPacket]

    /// A refusal naming the packet at fault by its place in the file (from 0).
    struct Refusal: Error, CustomStringConvertible {
        let description: String

        init(_ description: String) {
            self.description = description
        }

        init(index: Int, _ packet: Packet, _ problem: String) {
            description =
                "Packet at index \(index) (fixtureSeqNum \(packet.action.fixtureSeqNum), \(packet.action.actionType) "
                + "\(packet.action.actionId.wire)): \(problem)"
        }
    }

    /// `progress(done, total)` is called as the packets are checked.
    init(
        bytes: [UInt8], sport given: Sport?, rules: JSONValue?, receivedAt: Timestamp,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws {
        let elements: [JSONValue]
        do {
            guard let array = try JSONValue.parse(bytes).arrayValue else {
                throw Refusal("The file is not a JSON array of packets (an actions list as `export` writes it).")
            }
            elements = array
        } catch let error as JSONSyntaxError {
            throw Refusal(error.sentence(about: "The file"))
        }
        guard !elements.isEmpty else { throw Refusal("The file holds no packets.") }

        var decoded: [(index: Int, packet: Packet, json: JSONValue)] = []
        for (index, element) in elements.enumerated() {
            do {
                decoded.append((index, try Packet.decode(element), element))
            } catch {
                throw Refusal("Packet at index \(index) is not a packet: \(Self.describe(error))")
            }
        }
        let fixtureId = decoded[0].packet.action.fixtureId
        if let other = decoded.first(where: { $0.packet.action.fixtureId != fixtureId }) {
            throw Refusal(
                index: other.index, other.packet,
                "it belongs to fixture \(other.packet.action.fixtureId.wire), not \(fixtureId.wire) like the first.")
        }
        decoded.sort { $0.packet.action.fixtureSeqNum < $1.packet.action.fixtureSeqNum }
        for (position, entry) in decoded.enumerated() where entry.packet.action.fixtureSeqNum != position + 1 {
            let seqNum = entry.packet.action.fixtureSeqNum
            throw Refusal(
                index: entry.index, entry.packet,
                seqNum == position
                    ? "fixtureSeqNum \(seqNum) appears twice."
                    : "fixtureSeqNum \(position + 1) is missing from the file.")
        }
        guard let last = decoded.last, last.packet.finished else {
            throw Refusal("The last packet is not finished: import takes the actions list of a finished fixture.")
        }

        let sport = try given ?? Self.sport(of: decoded.map(\.packet))
        var fixture = Fixture(
            id: fixtureId, sport: sport, startDate: Self.start(of: decoded.map(\.packet)),
            teams: try Self.teams(of: decoded.map(\.packet)), rules: try sport.rules(rules).rulesObject)
        var engine = try FixtureEngine(fixture: fixture)
        var stored: [StoredPacket] = []
        for (done, entry) in decoded.enumerated() {
            let submission = Self.submission(of: entry.packet.action)
            let outcome: FixtureEngine.Outcome
            do {
                outcome = try engine.ingest(submission, receivedAt: receivedAt, traceId: entry.packet.traceId)
            } catch {
                throw Refusal(index: entry.index, entry.packet, "the rules refuse it: \(error.message)")
            }
            guard case .stored(let replayed) = outcome else {
                throw Refusal(index: entry.index, entry.packet, "it repeats an earlier packet of the same action.")
            }
            guard replayed == entry.packet else {
                let difference =
                    Self.firstDifference(entry.json, (try? JSONValue.parse(replayed.jsonBytes)) ?? .null, path: "")
                    ?? "its content"
                throw Refusal(
                    index: entry.index, entry.packet,
                    "the rules give another packet: \(difference). If the fixture was played under other rules, "
                        + "give them with --rules.")
            }
            stored.append(
                StoredPacket(
                    fixtureId: fixtureId, seqNum: replayed.action.fixtureSeqNum, period: replayed.action.period,
                    actionId: submission.actionId, sendType: submission.sendType, traceId: replayed.traceId,
                    receivedAt: receivedAt, submission: submission.json.jsonBytes, bytes: replayed.jsonBytes,
                    statistics: engine.lastStatisticsPacket.map {
                        StoredStatistics($0, fixture: fixture, receivedAt: receivedAt)
                    }))
            progress(done + 1, decoded.count)
        }
        fixture = fixture.following(engine)
        self.fixture = fixture
        packets = stored
    }

    /// Checks a statistics list (as `export --statistics` writes it) against the statistics packets the replay
    /// made: as many, each equal to the file's, in `seqNum` order. Throws a refusal naming the first difference.
    func check(statistics bytes: [UInt8]) throws {
        let elements: [JSONValue]
        do {
            guard let array = try JSONValue.parse(bytes).arrayValue else {
                throw Refusal(
                    "The file is not a JSON array of statistics packets (as `export --statistics` writes it).")
            }
            elements = array
        } catch let error as JSONSyntaxError {
            throw Refusal(error.sentence(about: "The file"))
        }
        let made = packets.compactMap(\.statistics)
        for (index, (file, rules)) in zip(elements, made).enumerated() {
            let replayed = (try? JSONValue.parse(rules.bytes)) ?? .null
            if let difference = Self.firstDifference(file, replayed, path: "") {
                throw Refusal(
                    "Statistics packet at index \(index) (seqNum \(rules.seqNum)): the rules give another packet: "
                        + "\(difference).")
            }
        }
        guard elements.count == made.count else {
            throw Refusal(
                "The file holds \(elements.count) statistics packets; the rules give \(made.count) for these actions.")
        }
    }

    /// The action as a scout would have sent it: the engine computes the rest (clock time, period, summary).
    static func submission(of action: FixtureAction) -> ActionSubmission {
        ActionSubmission(
            actionId: action.actionId, actionType: .id(action.actionTypeId), sendType: action.sendType,
            subTypeId: action.subType?.id, teamId: action.team?.id, player: action.player, timestamp: action.timestamp,
            metadata: action.metadata, relatedActionIds: action.relatedActionIds)
    }

    /// The one sport whose catalogue names every action of the file as it does.
    static func sport(of packets: [Packet]) throws -> Sport {
        let candidates = Sport.allCases.filter { sport in
            packets.allSatisfy { sport.catalogue.definition(id: $0.action.actionTypeId)?.name == $0.action.actionType }
        }
        guard candidates.count == 1, let sport = candidates.first else {
            throw Refusal(
                candidates.isEmpty
                    ? "No sport's catalogue has every action of the file: give --sport to see the first one refused."
                    : "The file fits \(candidates.map(\.rawValue).joined(separator: " and ")): give --sport.")
        }
        return sport
    }

    /// Home and away as the packets name them.
    static func teams(of packets: [Packet]) throws -> [TeamRef] {
        try [true, false].map { home in
            guard let team = packets.lazy.compactMap(\.action.team).first(where: { $0.homeTeam == home }) else {
                throw Refusal("No packet names the \(home ? "home" : "away") team, so the fixture cannot be rebuilt.")
            }
            return team
        }
    }

    /// Start Fixture's time, or the first packet's.
    static func start(of packets: [Packet]) -> Timestamp {
        let start = packets.first { $0.action.actionTypeId == ActionCatalogue.startFixtureId } ?? packets[0]
        return start.action.timestamp.wholeSecond
    }

    /// Where two JSON values first differ, such as `fixtureSummary.homeTeamScore is 3 in the file, 2 by the rules`.
    static func firstDifference(_ file: JSONValue, _ rules: JSONValue, path: String) -> String? {
        switch (file, rules) {
        case (.object(let left), .object(let right)):
            for key in Set(left.keys).union(right.keys).sorted() {
                let inner = path.isEmpty ? key : "\(path).\(key)"
                if let difference = firstDifference(left[key] ?? .null, right[key] ?? .null, path: inner) {
                    return difference
                }
            }
            return nil
        case (.array(let left), .array(let right)) where left.count == right.count:
            for (index, pair) in zip(left, right).enumerated() {
                if let difference = firstDifference(pair.0, pair.1, path: "\(path)[\(index)]") { return difference }
            }
            return nil
        default:
            guard file != rules else { return nil }
            return "\(path) is \(String(decoding: file.jsonBytes, as: UTF8.self)) in the file, "
                + "\(String(decoding: rules.jsonBytes, as: UTF8.self)) by the rules"
        }
    }

    /// A decoding error as a short sentence naming the key.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "'\(path(context.codingPath + [key]))' is missing."
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "'\(path(context.codingPath))' has the wrong type."
        case .dataCorrupted(let context)?:
            return "'\(path(context.codingPath))': \(context.debugDescription)."
        default: return "\(error)"
        }
    }
}
