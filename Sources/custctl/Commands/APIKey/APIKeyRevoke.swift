import ArgumentParser
import CustomerKit
import Foundation

extension APIKeyCommand {
    /// `custctl apikey revoke ID|PREFIX`.
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke an API key at once (by id, prefix or the key); revoking again changes nothing.",
            discussion: """
                A reference that matches more than one key is refused (65, ambiguous_key) with the candidates.

                Example:
                  custctl apikey revoke cck_3fA9x0
                """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The key's id or prefix.", valueName: "key")) var key: String
        @OptionGroup var actor: ActorOption

        func run() throws {
            let (revoked, changed) = try APIKeys(store: global.openStore()).revoke(
                APIKeyReference(parsing: key), actor: actor.resolved)
            guard case .object(let members) = revoked.json else { return }
            global.output.result(.object(members + [("changed", .bool(changed))])) {
                changed ? "revoked key \(revoked.id) (\(revoked.prefix))" : "key \(revoked.id) was already revoked"
            }
        }
    }
}
