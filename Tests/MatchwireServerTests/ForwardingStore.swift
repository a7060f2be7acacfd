import Foundation
import MatchwireCore
import MatchwireStore

/// A store that passes every call to another: tests subclass it to change one behaviour (a read that lags, an
/// append that fails after its commit) and keep the rest real.
class ForwardingStore: EventStore, @unchecked Sendable {
    let base: any EventStore

    init(_ base: any EventStore) {
        self.base = base
    }

    var description: String { base.description }
    func append(_ packets: [StoredPacket], fixture: Fixture, recordChanged: Bool) async throws {
        try await base.append(packets, fixture: fixture, recordChanged: recordChanged)
    }
    func packets(fixtureId: UUID, after seqNum: Int, limit: Int) async throws -> [StoredPacket] {
        try await base.packets(fixtureId: fixtureId, after: seqNum, limit: limit)
    }
    func insertFixture(_ fixture: Fixture) async throws { try await base.insertFixture(fixture) }
    func updateFixture(_ fixture: Fixture, replacing previous: Fixture) async throws {
        try await base.updateFixture(fixture, replacing: previous)
    }
    func fixture(id: UUID) async throws -> Fixture? { try await base.fixture(id: id) }
    func fixtures(_ query: FixtureQuery) async throws -> FixturePage { try await base.fixtures(query) }
    func packetBytes(fixtureId: UUID, order: PacketOrder) async throws -> [[UInt8]] {
        try await base.packetBytes(fixtureId: fixtureId, order: order)
    }
    func lastSeqNum(fixtureId: UUID) async throws -> Int { try await base.lastSeqNum(fixtureId: fixtureId) }
    func statistics(fixtureId: UUID, after seqNum: Int, limit: Int) async throws -> [StoredStatistics] {
        try await base.statistics(fixtureId: fixtureId, after: seqNum, limit: limit)
    }
    func latestStatistics(fixtureId: UUID) async throws -> StoredStatistics? {
        try await base.latestStatistics(fixtureId: fixtureId)
    }
    func insertMissingStatistics(_ statistics: [StoredStatistics], fixtureId: UUID) async throws {
        try await base.insertMissingStatistics(statistics, fixtureId: fixtureId)
    }
    func insertToken(_ token: TokenRecord) async throws { try await base.insertToken(token) }
    func token(hash: String) async throws -> TokenRecord? { try await base.token(hash: hash) }
    func tokens() async throws -> [TokenRecord] { try await base.tokens() }
    func revokeToken(name: String) async throws -> Bool { try await base.revokeToken(name: name) }
    func close() async throws { try await base.close() }
    var appendNotifications: AppendNotifications? { base.appendNotifications }
    var tokenChanges: TokenChanges? { base.tokenChanges }
    func keptFixture(id: UUID) -> Fixture? { base.keptFixture(id: id) }
}
