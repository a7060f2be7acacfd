import ArgumentParser

@main
struct Matchwire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matchwire",
        abstract: "Live sports-data delivery: ingestion, REST and streams of action packets.",
        subcommands: [
            Serve.self, TokenCommand.self, FixtureCommand.self, Simulate.self, Tail.self, Export.self, Import.self,
            OpenAPICommand.self,
        ]
    )
}
