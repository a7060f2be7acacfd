/// What a token may do (operations.md §1).
public enum Role: String, Sendable, CaseIterable, Codable {
    /// Reads REST and streams, within its feeds and sports.
    case consumer
    /// A consumer that may also ingest actions for its sports.
    case scout
    /// Everything, including fixtures and tokens.
    case admin
}

/// A consumer feed: betting streams are immediate, media streams are delayed.
public enum Feed: String, Sendable, CaseIterable, Codable {
    case betting
    case media
}

/// A token as kept by the store: never the token itself, only its hash.
public struct TokenRecord: Sendable, Hashable, Codable {
    public let name: String
    /// Hex SHA-256 of the token.
    public let hash: String
    public let role: Role
    public let feeds: Set<Feed>
    public let sports: Set<Sport>
    public let createdAt: Timestamp
    public var revoked: Bool

    public init(
        name: String, hash: String, role: Role, feeds: Set<Feed>, sports: Set<Sport>, createdAt: Timestamp,
        revoked: Bool = false
    ) {
        self.name = name
        self.hash = hash
        self.role = role
        self.feeds = feeds
        self.sports = sports
        self.createdAt = createdAt
        self.revoked = revoked
    }

    /// Whether the token may read this feed of this sport. Admins may read everything.
    public func mayRead(_ feed: Feed, of sport: Sport) -> Bool {
        role == .admin || (feeds.contains(feed) && sports.contains(sport))
    }

    /// Whether the token may ingest actions of this sport.
    public func mayIngest(_ sport: Sport) -> Bool {
        role == .admin || (role == .scout && sports.contains(sport))
    }
}
