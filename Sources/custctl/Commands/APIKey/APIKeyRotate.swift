import ArgumentParser
import CustomerKit
import Foundation

extension APIKeyCommand {
    /// `custctl apikey rotate ID|PREFIX [--overlap DURATION]`.
    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Issue a replacement key; the old one keeps working for --overlap (default 0: it stops now).",
            discussion: """
                Example:
                  custctl apikey rotate 12 --overlap 24h --json
                """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The key's id or prefix.", valueName: "key")) var key: String
        @Option(
            help: ArgumentHelp("How long the old key keeps working: seconds, or 30m, 24h, 7d.", valueName: "duration"))
        var overlap = "0"
        @Option(
            help: ArgumentHelp("When the new key stops working (default: the old key's expiry).", valueName: "time"))
        var expiresAt: String?
        @OptionGroup var actor: ActorOption

        func run() throws {
            let (old, new) = try APIKeys(store: global.openStore()).rotate(
                APIKeyReference(parsing: key), overlap: TimeSpan.seconds(overlap),
                expiresAt: expiresAt.map(Timestamp.instant), actor: actor.resolved)
            guard case .object(let members) = new.key.json else { return }
            global.output.result(
                .object(
                    members + [
                        ("api_key", .string(new.plaintext)), ("old_key_id", .int(old.id)),
                        ("old_key_expires_at", .optional(old.expiresAt)),
                    ])
            ) {
                "created key \(new.key.id) to replace key \(old.id) (which stops at \(old.expiresAt.map(Timestamp.string(from:)) ?? "-"))\nAPI key (shown once): \(new.plaintext)"
            }
        }
    }
}
