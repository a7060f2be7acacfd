import Foundation
import MatchwireCore
import Testing

/// docs/sports.md is checked against the registry: every sport has its section, headed by its name and path,
/// whose table lists each of its own actions by id and name (rows may group several, `101 / 102 | Safe / Attack`),
/// and which names every sub type id and every key of its rules object. A sport added without its docs section,
/// or an action renamed in one place only, fails here.
@Suite struct SportsDocTests {
    static let page: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try? String(contentsOf: root.appendingPathComponent("docs/sports.md"), encoding: .utf8)
    }()

    /// The section of the page headed `## <name> (`<path>`)`, up to the next heading of its level.
    static func section(of sport: Sport) -> String? {
        guard let page else { return nil }
        let heading = "## \(sport.displayName) (`\(sport.pathSegment)`)"
        guard let start = page.range(of: heading + "\n") else { return nil }
        let rest = page[start.upperBound...]
        let end = rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    /// id → name, from the rows of the section's tables.
    static func tableRows(_ section: String) -> [Int: String] {
        var names: [Int: String] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            let ids = cells[0].components(separatedBy: " / ").compactMap { Int($0) }
            let titles = cells[1].components(separatedBy: " / ")
            guard !ids.isEmpty, ids.count == titles.count else { continue }
            for (id, title) in zip(ids, titles) { names[id] = title }
        }
        return names
    }

    @Test(arguments: Sport.allCases)
    func theSportHasItsSectionWithEveryActionSubTypeAndRulesKey(_ sport: Sport) throws {
        let section = try #require(Self.section(of: sport), "docs/sports.md has no section `## \(sport.displayName)`")
        let rows = Self.tableRows(section)
        for action in sport.rulesType.actions {
            #expect(rows[action.id] == action.name, "\(sport): the table says \(action.id) \(action.name)")
            for subType in action.subTypes {
                #expect(
                    section.contains("\(subType.id) \(subType.name)"),
                    "\(sport): sub type \(subType.id) \(subType.name)")
            }
        }
        for key in sport.rulesType.rulesKeys {
            #expect(section.contains("`\(key.name)`") || section.contains("\"\(key.name)\""), "\(sport): \(key.name)")
        }
    }
}
