/// The registry: every sport this server serves, one line each, in the order they are listed everywhere. A new
/// sport is its rules file (with its `Sport` value), its simulator file, one line here, and its docs section
/// (docs/architecture.md, "Adding a sport").
extension Sport {
    public static let allCases: [Sport] = [
        .tableTennis,
        .soccer,
        .basketball,
        .volleyball,
        .iceHockey,
    ]
}
