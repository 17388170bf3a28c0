import ArgumentParser
import CustomerKit
import Foundation

extension APIKeyCommand {
    /// `custctl apikey create EMAIL [--name N] [--expires-at TIME]`.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Issue a new API key; the key is printed once and never stored.",
            discussion: """
                Example:
                  custctl apikey create ada@example.com --name ci --expires-at 2027-06-30 --json
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var customer: CustomerArgument
        @Option(help: "A name for the key.") var name = "Default"
        @Option(help: ArgumentHelp("When the key stops working (ISO 8601).", valueName: "time")) var expiresAt: String?
        @OptionGroup var actor: ActorOption

        func run() throws {
            let issued = try APIKeys(store: global.openStore()).create(
                for: try customer.reference, name: name, expiresAt: expiresAt.map(Timestamp.instant),
                actor: actor.resolved)
            guard case .object(let members) = issued.key.json else { return }
            global.output.result(.object(members + [("api_key", .string(issued.plaintext))])) {
                "created key \(issued.key.id) (\(issued.key.prefix)...)\nAPI key (shown once): \(issued.plaintext)"
            }
        }
    }
}
