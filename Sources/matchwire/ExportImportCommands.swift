import ArgumentParser
import Foundation
import MatchwireCore
import MatchwireStore

/// `matchwire export FIXTURE > file.json`: the fixture's actions list, byte for byte as the REST API serves it.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a fixture's actions list to standard output, byte for byte as GET .../actions serves it.")

    @Argument(help: "The fixture's id.") var fixture: String
    @Flag(
        help: """
            Write the fixture's statistics packets instead: a JSON array, in seqNum order, each as stored \
            (import takes such a file with --statistics and checks it).
            """)
    var statistics = false
    @OptionGroup var store: StoreOptions

    /// Statistics packets read per query while a list is written.
    static let statisticsPerRead = 1000

    func run() async throws {
        guard let id = UUID(uuidString: fixture) else { throw ValidationError("fixture must be a UUID.") }
        let statistics = self.statistics
        let list = try await store.withStore { store in
            guard let found = try await store.fixture(id: id) else {
                throw CommandFailure("There is no fixture \(id.wire) in \(store.description).")
            }
            guard statistics else { return try await store.actionsList(of: found) }
            try await store.backfillStatistics(of: found)
            var packets: [[UInt8]] = []
            while true {
                let read = try await store.statistics(
                    fixtureId: id, after: packets.count, limit: Self.statisticsPerRead)
                // Numbered 1, 2, 3... with no gap: a gap is a damaged store, not a shorter list.
                for (offset, item) in read.enumerated() where item.seqNum != packets.count + offset + 1 {
                    throw CommandFailure(
                        "Statistics packet \(packets.count + offset + 1) of fixture \(id.wire) is missing from \(store.description)."
                    )
                }
                packets += read.map(\.bytes)
                if read.count < Self.statisticsPerRead { break }
            }
            return JSONWriter.array(of: packets)
        }
        FileHandle.standardOutput.write(Data(list))
    }
}

/// `matchwire import file.json`: a finished fixture rebuilt from its actions list, checked packet by packet.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a finished fixture from an actions list written by export (or read from GET .../actions).",
        discussion: """
            Every packet is replayed through the rules engine and must come out as in the file; the first one that \
            does not is named, and nothing is stored. The fixture keeps the file's fixture id.
            """)

    @Argument(help: "The actions list file.") var file: String
    @Option(help: "\(Sport.names). Default: the one sport whose catalogue has every action of the file.")
    var sport: String?
    @Option(help: "Rules object the match was played under, as JSON (docs/sports.md). Default: the sport's.")
    var rules: String?
    @Option(
        help: """
            The fixture's statistics packets, as export --statistics writes them: the statistics the rules give \
            must be these, packet for packet.
            """)
    var statistics: String?
    @OptionGroup var store: StoreOptions

    /// The largest file read.
    static let maxFileBytes = 256 << 20

    func run() async throws {
        let sport = try sport.map { name in
            guard let sport = Sport(name: name) else { throw ValidationError("--sport must be one of \(Sport.names).") }
            return sport
        }
        let rulesObject = try sport.map { try FixtureCommand.Create.rulesObject(rules, of: $0) }
        let bytes = try Self.read(file)
        var bar = ProgressBar(label: "checking", handle: .standardError)
        let imported: ActionsListImport
        do {
            imported = try ActionsListImport(
                bytes: bytes, sport: sport, rules: rulesObject, receivedAt: .now,
                progress: { done, total in bar.show(done, of: total) })
        } catch let refusal as ActionsListImport.Refusal {
            bar.finish()
            throw CommandFailure("\(file): \(refusal.description) Nothing was imported.")
        }
        bar.finish()
        if let statistics {
            do {
                try imported.check(statistics: try Self.read(statistics))
            } catch let refusal as ActionsListImport.Refusal {
                throw CommandFailure("\(statistics): \(refusal.description) Nothing was imported.")
            }
        }
        let fixture = imported.fixture
        try await store.withStore { store in
            if try await store.fixture(id: fixture.id) != nil {
                throw CommandFailure(
                    "Fixture \(fixture.id.wire) exists already in \(store.description). Nothing was imported."
                )
            }
            try await store.insertFixture(fixture)
            try await store.append(imported.packets, fixture: fixture, recordChanged: true)
        }
        Terminal.line(
            "imported \(fixture.sport.rawValue) fixture '\(fixture.name)' (\(fixture.status.name)): "
                + "\(imported.packets.count) packets")
        Terminal.line(fixture.id.wire)
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CommandFailure("Cannot read \(path).") }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        guard data.count <= maxFileBytes else {
            throw CommandFailure("\(path) is larger than \(maxFileBytes >> 20) MiB, the largest file import reads.")
        }
        return Array(data)
    }
}
