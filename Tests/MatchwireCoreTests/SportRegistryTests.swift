import MatchwireCore
import Testing

/// The registry (Sports.swift): each sport is found by its name and by its paths, so no two may share either (the
/// server's stream paths are a table by segment, and a duplicate would trap at the first upgrade).
@Suite struct SportRegistryTests {
    @Test func namesAndPathSegmentsAreEachUsedOnce() {
        let names = Sport.allCases.map(\.rawValue)
        let segments = Sport.allCases.map(\.pathSegment)
        #expect(Set(names).count == names.count, "\(names)")
        #expect(Set(segments).count == segments.count, "\(segments)")
        #expect(segments.allSatisfy { !$0.hasPrefix("/") && !$0.hasSuffix("/") && !$0.contains("/fixtures") })
    }
}
