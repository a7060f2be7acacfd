import HTTPTypes
import Hummingbird
import MatchwireCore
import MatchwireStore

/// The query of `GET /{S}/fixtures` (protocol.md §2): filters, sort and paging, each checked.
struct FixtureListQuery {
    let storeQuery: FixtureQuery

    static let maximumPageSize = 500
    static let defaultPageSize = 20

    static func parse(_ request: Request, sport: Sport) throws -> FixtureListQuery {
        let parameters = request.uri.queryParameters
        var query = FixtureQuery(sport: sport)
        if let live = try QueryParameter.single(parameters, "live") {
            switch live.lowercased() {
            case "true": query.status = .live
            case "false": break
            default: throw APIError(.badRequest, "Query parameter 'live' must be true or false.")
            }
        }
        if let status = try QueryParameter.single(parameters, "status") {
            guard let value = FixtureStatus(name: String(status)) else {
                throw APIError(
                    .badRequest,
                    "Query parameter 'status' must be one of \(FixtureStatus.allCases.map { $0.name.lowercased() }.joined(separator: ", "))."
                )
            }
            if let live = query.status, live != value {
                throw APIError(
                    .badRequest, "Query parameters 'live=true' and 'status=\(status)' contradict each other.")
            }
            query.status = value
        }
        query.dateFrom = try date(QueryParameter.single(parameters, "dateFrom"), name: "dateFrom")
        query.dateTo = try date(QueryParameter.single(parameters, "dateTo"), name: "dateTo")
        let sorts = parameters[values: "sort"]
        guard sorts.count <= FixtureQuery.SortField.allCases.count else {
            throw APIError(
                .badRequest, "Query parameter 'sort' may be given at most twice: once for name, once for startTime.")
        }
        if !sorts.isEmpty {
            query.sort = try sorts.map { text in
                let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard (1...2).contains(parts.count), let field = FixtureQuery.SortField(rawValue: parts[0]) else {
                    throw APIError(
                        .badRequest,
                        "Query parameter 'sort' must be name or startTime, optionally followed by ,asc or ,desc.")
                }
                guard parts.count == 1 || ["asc", "desc"].contains(parts[1].lowercased()) else {
                    throw APIError(.badRequest, "Query parameter 'sort' direction must be asc or desc.")
                }
                return (field, parts.count == 1 || parts[1].lowercased() == "asc")
            }
            if query.sort.count == 2, query.sort[0].field == query.sort[1].field {
                throw APIError(
                    .badRequest,
                    "Query parameter 'sort' may be given at most twice: once for name, once for startTime.")
            }
        }
        if request.headers.first(where: { $0.name.canonicalName == "paged" })?.value.lowercased() == "true" {
            let page = try QueryParameter.integer(parameters, "page", range: 0...1_000_000) ?? 0
            let size =
                try QueryParameter.integer(parameters, "size", range: 1...maximumPageSize)
                ?? defaultPageSize
            query.page = (page, size)
        }
        return FixtureListQuery(storeQuery: query)
    }

    private static func date(_ value: Substring?, name: String) throws -> String? {
        guard let value else { return nil }
        guard Timestamp(localDateTime: "\(value)T00:00:00") != nil else {
            throw APIError(.badRequest, "Query parameter '\(name)' must be a date YYYY-MM-DD.")
        }
        return String(value)
    }
}
