import ArgumentParser
import CustomerKit
import Foundation

/// `custctl throttle status|reset`.
struct Throttle: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "See and clear login throttling.",
        subcommands: [ThrottleStatus.self, ThrottleReset.self]
    )
}

/// `custctl throttle status [EMAIL]`.
struct ThrottleStatus: ParsableCommand {
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
            json: \.json, summary: states.isEmpty ? "no failed logins in the last hour" : "\(states.count) email(s)")
    }
}

extension ThrottleState {
    var json: JSONValue {
        .object([
            ("email", .string(email)),
            ("failures_in_window", .int(Int64(failuresInWindow))),
            ("failures_in_hour", .int(Int64(failuresInHour))),
            ("throttled", .bool(retryAfter != nil)),
            ("retry_after", .optional(retryAfter.map(Int64.init))),
            ("throttled_until", .optional(throttledUntil.map(Timestamp.string(from:)))),
        ])
    }
}

/// `custctl throttle reset EMAIL`.
struct ThrottleReset: ParsableCommand {
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
