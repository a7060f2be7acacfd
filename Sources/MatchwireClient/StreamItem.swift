import MatchwireCore

/// What a ``ResumingStream`` follows (protocol.md §3, §5): a fixture's action packets or its statistics packets.
/// Each kind has its own stream path and its own gapless numbers, which the stream resumes from.
public protocol StreamItem: Sendable {
    /// The last segment of the stream's path: `actions` or `statistics`.
    static var pathSegment: String { get }
    /// Decodes one data frame.
    init(json: JSONValue) throws
    /// The number `startPosition` counts: `fixtureSeqNum` of an action packet, `seqNum` of a statistics packet.
    var streamNumber: Int { get }
    /// The fixture's last packet of this kind: the stream ends after it.
    var isLast: Bool { get }
}

extension Packet: StreamItem {
    public static var pathSegment: String { "actions" }
    public init(json: JSONValue) throws { self = try Packet.decode(json) }
    public var streamNumber: Int { action.fixtureSeqNum }
    public var isLast: Bool { finished }
}

/// A statistics packet as a consumer reads it (protocol.md §5): the running totals of each team, by action type
/// and sub type, with the names the packet gives.
public struct StatisticsSnapshot: StreamItem, Hashable {
    public struct ActionTotal: Sendable, Hashable {
        public let name: String
        public let id: Int
        public let count: Int
        /// The sub types with a total, by id: (name, id, count).
        public let subActions: [SubActionTotal]
    }

    public struct SubActionTotal: Sendable, Hashable {
        public let name: String
        public let id: Int
        public let count: Int
    }

    public struct TeamTotals: Sendable, Hashable {
        public let name: String
        public let homeTeam: Bool
        public let actions: [ActionTotal]
    }

    public static var pathSegment: String { "statistics" }

    public let seqNum: Int
    /// The action packet that made it.
    public let fixtureSeqNum: Int
    public let finished: Bool
    /// Home first, as the packet lists them.
    public let teams: [TeamTotals]

    public var streamNumber: Int { seqNum }
    public var isLast: Bool { finished }

    public init(json: JSONValue) throws {
        guard let seqNum = json["seqNum"]?.intValue, let fixtureSeqNum = json["fixtureSeqNum"]?.intValue,
            case .bool(let finished) = json["finished"] ?? .null,
            case .array(let teams) = json["teamActionAggregates"] ?? .null
        else {
            throw RuleViolation("a statistics packet needs seqNum, fixtureSeqNum, finished and teamActionAggregates")
        }
        self.seqNum = seqNum
        self.fixtureSeqNum = fixtureSeqNum
        self.finished = finished
        self.teams = try teams.map { team in
            guard let name = team["team"]?["name"]?.stringValue,
                case .bool(let home) = team["team"]?["homeTeam"] ?? .null,
                case .array(let actions) = team["gameActionAggregates"] ?? .null
            else { throw RuleViolation("statistics packet \(seqNum): a team needs its name, homeTeam and aggregates") }
            return TeamTotals(
                name: name, homeTeam: home,
                actions: try actions.map { action in
                    guard let name = action["action"]?.stringValue, let id = action["actionId"]?.intValue,
                        let count = action["actionAggregate"]?.intValue
                    else {
                        throw RuleViolation(
                            "statistics packet \(seqNum): an aggregate needs action, actionId and actionAggregate")
                    }
                    let subActions = (action["subActionAggregates"]?.arrayValue ?? []).compactMap { sub in
                        sub["subAction"]?.stringValue.flatMap { name in
                            sub["subActionId"]?.intValue.flatMap { id in
                                sub["subActionAggregate"]?.intValue.map {
                                    SubActionTotal(name: name, id: id, count: $0)
                                }
                            }
                        }
                    }
                    return ActionTotal(name: name, id: id, count: count, subActions: subActions)
                })
        }
    }

    /// A team's total of an action type (by id), or of one of its sub types; 0 when the packet lists none.
    public func count(home: Bool, actionId: Int, subActionId: Int? = nil) -> Int {
        guard let action = teams.first(where: { $0.homeTeam == home })?.actions.first(where: { $0.id == actionId })
        else { return 0 }
        guard let subActionId else { return action.count }
        return action.subActions.first { $0.id == subActionId }?.count ?? 0
    }
}
