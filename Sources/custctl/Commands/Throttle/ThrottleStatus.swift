import ArgumentParser
import CustomerKit
import Foundation

extension ThrottleCommand {
    /// `custctl throttle status [EMAIL]`.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "List emails with failed logins in the last hour, and who is throttled until when.",
            discussion: """
                Example:
                  custctl throttle status --json
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Only this email.")
        var email: String?

        func run() throws {
            let authenticator = try Authenticator(
                store: global.openStore(.reads), hasher: Settings.hasher(), throttle: Settings.throttle())
            let states = try authenticator.throttleStates(email: email)
            global.output.list(
                states, header: ["EMAIL", "WINDOW", "HOUR", "THROTTLED UNTIL"],
                row: { s in
                    [
                        s.email, String(s.failuresInWindow), String(s.failuresInHour),
                        s.throttledUntil.map { Timestamp.string(from: $0) + " (\(s.retryAfter ?? 0) s)" } ?? "-",
                    ]
                },
                json: \.json, summary: states.isEmpty ? "no failed logins in the last hour" : "\(states.count) email(s)"
            )
        }
    }
}
