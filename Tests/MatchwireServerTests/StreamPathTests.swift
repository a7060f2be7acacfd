import MatchwireCore
import Testing

@testable import MatchwireServer

/// Which paths accept a websocket upgrade (protocol.md §3): `/{S}/fixtures/{id}/actions` or `.../statistics`,
/// the same under `/media`; the query is ignored.
@Suite struct StreamPathTests {
    @Test func theBettingAndMediaStreamsOfEveryContentMatch() throws {
        let tableTennis = try #require(Sport.allCases.first { $0.rawValue == "tabletennis" })
        let betting = try #require(StreamEndpoint.match("/v2/tabletennis/fixtures/abc/actions?startPosition=3"))
        #expect(betting.0 == .betting && betting.1 == tableTennis && betting.2 == "abc" && betting.3 == .actions)
        let media = try #require(StreamEndpoint.match("/media/v2/tabletennis/fixtures/abc/statistics"))
        #expect(media.0 == .media && media.1 == tableTennis && media.2 == "abc" && media.3 == .statistics)
        for sport in Sport.allCases {
            #expect(StreamEndpoint.match("/\(sport.pathSegment)/fixtures/x/actions")?.1 == sport)
        }
    }

    @Test(arguments: [
        "/v2/tabletennis/fixtures//actions",  // no id
        "/v2/tabletennis/fixtures/a/b/actions",  // an id with a slash
        "/v2/tabletennis/fixtures/a/actions/",  // a segment after the content
        "/v2/tabletennis/fixtures/a/scores",  // no such content
        "/v2/curling/fixtures/a/actions",  // no such sport
        "/v2/tabletennis/fixtures/fixtures/a/actions",
        "/v2/tabletennis/fixtures",
        "v2/tabletennis/fixtures/a/actions",  // not absolute
        "/media/media/v2/tabletennis/fixtures/a/actions",
        "/mediax/v2/tabletennis/fixtures/a/actions",
        "/v2/table%74ennis/fixtures/a/actions",  // nothing is percent-decoded
        "/v2/tabletennis/fixtures/a",
        "",
    ])
    func otherPathsDoNot(path: String) {
        #expect(StreamEndpoint.match(path) == nil)
    }
}
