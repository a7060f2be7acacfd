import Crypto
import Foundation
import Hummingbird
import Metrics
import MatchwireCore
import MatchwireStore
import Synchronization

/// Makes tokens and checks them: hashing, roles, entitlements and the per-token rate limit.
public struct AccessControl: Sendable {
    let store: any EventStore
    let limiter: RateLimiter
    /// The tokens checked recently, when the store can say without a read that they have not changed.
    let table: TokenTable?

    public init(store: any EventStore, rateLimit: Double, rateBurst: Int) {
        self.init(store: store, rateLimit: rateLimit, rateBurst: rateBurst, refusals: nil)
    }

    /// `refusals` counts the requests refused by the rate limit; a kept token is read again after
    /// `tokenMaximumAge` (``TokenTable``).
    init(
        store: any EventStore, rateLimit: Double, rateBurst: Int, refusals: Counter?,
        tokenMaximumAge: Duration = TokenTable.defaultMaximumAge
    ) {
        self.store = store
        self.limiter = RateLimiter(rate: rateLimit, burst: rateBurst, refusals: refusals)
        self.table = store.tokenChanges.map { TokenTable(changes: $0, maximumAge: tokenMaximumAge) }
    }

    /// A new random token (256 bits) and the record to store for it. The token is shown once and never stored.
    public static func issue(
        name: String, role: Role, feeds: Set<Feed>, sports: Set<Sport>, now: Timestamp
    ) -> (token: String, record: TokenRecord) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token =
            "mw_"
            + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let record = TokenRecord(
            name: name, hash: hash(token), role: role, feeds: feeds, sports: sports, createdAt: now)
        return (token, record)
    }

    /// Hex SHA-256 of a token: what the store keeps and looks up.
    public static func hash(_ token: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(token.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The live token with this text, or nil when it is unknown or revoked: from the token table when it has the
    /// token and the tokens have not changed since, from the store otherwise.
    public func token(_ text: String) async throws -> TokenRecord? {
        guard !text.isEmpty else { return nil }
        let hash = Self.hash(text)
        var generation: TokenChanges.Generation?
        switch table?.lookup(hash: hash) {
        case .kept(let record): return record.revoked ? nil : record
        case .unknown(let seen): generation = seen
        case nil: break
        }
        guard let record = try await store.token(hash: hash) else { return nil }
        if let generation { table?.remember(record, readUnder: generation) }
        return record.revoked ? nil : record
    }

    /// What the token table says of a token, without reading the store: `.some(record)` for a live token,
    /// `.some(nil)` for a revoked one, nil when the table cannot say (the store must be read).
    func keptToken(_ text: String) -> TokenRecord?? {
        guard !text.isEmpty, case .kept(let record) = table?.lookup(hash: Self.hash(text)) else { return nil }
        return .some(record.revoked ? nil : record)
    }

    /// The token of a request's `Authorization: Bearer` header. Throws 401 when it is missing, unknown or revoked.
    func bearer(_ request: Request) async throws -> TokenRecord {
        guard let header = request.headers[.authorization] else { throw APIError.invalidAuthentication }
        // Over the UTF-8 bytes, the spaces and tabs HTTP allows around the token trimmed: Foundation's trimming (a
        // bridge to NSString) was 2% of an ingest's CPU.
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].equalsIgnoringASCIICase("bearer"),
            let record = try await token(String(parts[1].trimmingHTTPWhitespace))
        else { throw APIError.invalidAuthentication }
        RequestToken.record(record.name)
        return record
    }

    /// Checks a consumer request: token, entitlement, then the rate limit. `feed` nil: data both feeds carry
    /// (fixtures, the actions list), which any feed of the sport may read.
    func authorizeRead(_ request: Request, feed: Feed?, sport: Sport) async throws -> TokenRecord {
        try admitReader(try await bearer(request), feed: feed, sport: sport)
    }

    /// Checks the token of a stream's auth message: known, entitled to the feed and sport, within the rate limit
    /// (a connect counts as a request). The errors' sentences become the stream's ERROR messages.
    func authorizeStream(_ token: String, feed: Feed, sport: Sport) async throws -> TokenRecord {
        guard let record = try await self.token(token) else { throw APIError.invalidAuthentication }
        return try admitReader(record, feed: feed, sport: sport)
    }

    /// ``authorizeStream(_:feed:sport:)`` when the token table has the token, without leaving the caller's thread
    /// (a stream's connect is then answered on its event loop); nil when the store must be read.
    func authorizeStreamFromTable(_ token: String, feed: Feed, sport: Sport) throws -> TokenRecord? {
        guard let kept = keptToken(token) else { return nil }
        guard let record = kept else { throw APIError.invalidAuthentication }
        return try admitReader(record, feed: feed, sport: sport)
    }

    /// A reader's token must be entitled to the feed (any feed when nil) and sport, and within its rate limit.
    private func admitReader(_ record: TokenRecord, feed: Feed?, sport: Sport) throws -> TokenRecord {
        let feeds = feed.map { [$0] } ?? Feed.allCases
        guard feeds.contains(where: { record.mayRead($0, of: sport) }) else {
            let what = feed.map { "the \($0.rawValue) feed of \(sport.rawValue)" } ?? sport.rawValue
            throw APIError(.forbidden, "The token '\(record.name)' is not entitled to \(what).")
        }
        try limiter.admit(record.name)
        return record
    }

    /// Checks an ingest request: a scout or admin token entitled to the sport.
    func authorizeIngest(_ request: Request, sport: Sport) async throws -> TokenRecord {
        let record = try await bearer(request)
        guard record.mayIngest(sport) else {
            throw APIError(
                .forbidden,
                "The token '\(record.name)' may not ingest \(sport.rawValue) actions (it needs the scout or admin role and the sport)."
            )
        }
        return record
    }

    /// Checks an operator request: an admin token.
    func authorizeAdmin(_ request: Request) async throws -> TokenRecord {
        let record = try await bearer(request)
        guard record.role == .admin else {
            throw APIError(.forbidden, "The token '\(record.name)' is not an admin token.")
        }
        return record
    }
}

/// Token buckets, one per token name: `rate` requests a second, up to `burst` at once.
/// Bounded by the number of tokens that have made a request.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Int
    private let buckets = Mutex<[String: Bucket]>([:])
    private let refusals: Counter?

    init(rate: Double, burst: Int, refusals: Counter? = nil) {
        self.rate = rate
        self.burst = burst
        self.refusals = refusals
    }

    /// Takes one request from the token's bucket, or throws 429 with the seconds to wait.
    func admit(_ name: String, now: ContinuousClock.Instant = .now) throws {
        let wait: Double? = buckets.withLock { buckets in
            var bucket = buckets[name] ?? Bucket(tokens: Double(burst), updated: now)
            let elapsed = bucket.updated.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(Double(burst), bucket.tokens + max(0, seconds) * rate)
            bucket.updated = now
            defer { buckets[name] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return (1 - bucket.tokens) / rate
        }
        if let wait {
            refusals?.increment()
            let seconds = max(1, Int(wait.rounded(.up)))
            throw APIError(
                .tooManyRequests, "Rate limit of \(rate) requests per second exceeded; retry in \(seconds) s.",
                headers: [.retryAfter: String(seconds)])
        }
    }
}
