import ArgumentParser
import CustomerKit
import Foundation

extension ThrottleCommand {
    /// `custctl throttle reset EMAIL`.
    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset",
            abstract: "Forget an email's failed logins (audited).",
            discussion: """
                Example:
                  custctl throttle reset ada@example.com --actor oncall
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The email to clear.")
        var email: String

        @OptionGroup var actor: ActorOption

        func run() throws {
            let authenticator = try Authenticator(store: global.openStore(), hasher: Settings.hasher())
            let removed = try authenticator.resetThrottle(email: email, actor: actor.resolved)
            global.output.result(.object([("email", .string(email)), ("attempts_removed", .int(Int64(removed)))])) {
                "cleared \(removed) recorded attempt(s) for \(email)"
            }
        }
    }
}
