/// The status of a fixture, as in the fixture object and `fixtureSummary.currentStatus`.
/// Raw values are the codes of Status Updated's `fixtureStatus`.
public enum FixtureStatus: Int, Sendable, CaseIterable, Codable {
    case scheduled = 0, live, completed, postponed, abandoned, cancelled, suspended, unverified

    public var name: String {
        switch self {
        case .scheduled: "Scheduled"
        case .live: "Live"
        case .completed: "Completed"
        case .postponed: "Postponed"
        case .abandoned: "Abandoned"
        case .cancelled: "Cancelled"
        case .suspended: "Suspended"
        case .unverified: "Unverified"
        }
    }

    /// Reads the name case-insensitively (`live`, `Live`).
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }
}

/// How far the collection of a fixture's data has gone. Raw values are Status Updated's `collectionStatus` codes.
public enum CollectionStatus: Int, Sendable, CaseIterable, Codable {
    case collectionScheduled = 0, collectingLive, collectingPostMatch, collectionSuspended, collectionDropped,
        collectionCompleted, postMatchChecked

    public var name: String {
        switch self {
        case .collectionScheduled: "CollectionScheduled"
        case .collectingLive: "CollectingLive"
        case .collectingPostMatch: "CollectingPostMatch"
        case .collectionSuspended: "CollectionSuspended"
        case .collectionDropped: "CollectionDropped"
        case .collectionCompleted: "CollectionCompleted"
        case .postMatchChecked: "PostMatchChecked"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}

/// Where a packet stands in the life of its action. Raw values are the wire's `sendTypeId`.
public enum SendType: Int, Sendable, CaseIterable, Codable {
    case pending = 1, updated, cancelled, deleted, confirmed, restored

    public var name: String {
        switch self {
        case .pending: "Pending"
        case .updated: "Updated"
        case .cancelled: "Cancelled"
        case .deleted: "Deleted"
        case .confirmed: "Confirmed"
        case .restored: "Restored"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }

    /// Whether an action whose latest packet has this send type counts towards the summary.
    public var counts: Bool { self == .confirmed || self == .updated || self == .restored }
}

/// The kind of a period, as in the period object's `type`.
public enum PeriodType: String, Sendable, Codable {
    case regular = "Regular"
    case overtime = "Overtime"
    case extraTime = "ExtraTime"
    case shootout = "Shootout"
}

/// The kind of a fixture, as in the fixture object's `type`.
public enum FixtureType: String, Sendable, CaseIterable, Codable {
    case official = "Official"
    case simulation = "Simulation"
    case training = "Training"
}
