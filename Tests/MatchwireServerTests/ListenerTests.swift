import Foundation
import HTTPTypes
@testable import MatchwireServer
import Testing

/// The listener and the headers it puts on every answer (what Hummingbird's `Application` did before).
@Suite struct ListenerTests {
    @Test func theDateHeaderIsTheIMFFixdateOfItsSecond() {
        // RFC 9110 §5.6.7's own example, and days and hours below ten.
        #expect(DateHeader.imfFixdate(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(DateHeader.imfFixdate(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(DateHeader.imfFixdate(1_780_000_000) == "Thu, 28 May 2026 20:26:40 GMT")
    }

    @Test func everyAnswerCarriesTheDateAndTheServersName() async throws {
        try await TestServer.start { server, client in
            for (path, status) in [("/health", HTTPResponse.Status.ok), ("/no/such/path", .notFound)] {
                let before = Int(Date().timeIntervalSince1970)
                let response = try await client.execute(uri: path, method: .get, headers: server.consumerHeaders())
                let after = Int(Date().timeIntervalSince1970)
                #expect(response.status == status)
                #expect(response.headers[.server] == "matchwire")
                let date = try #require(response.headers[.date], "\(path) has a Date header")
                #expect(
                    (before...after).map(DateHeader.imfFixdate).contains(date),
                    "\(path): \(date) is the time of the answer")
            }
        }
    }
}
