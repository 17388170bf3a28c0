import ArgumentParser
import CustomerKit
import Foundation

/// `custctl throttle status|reset`.
struct ThrottleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throttle",
        abstract: "See and clear login throttling.",
        subcommands: [ThrottleCommand.Status.self, ThrottleCommand.Reset.self]
    )
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
