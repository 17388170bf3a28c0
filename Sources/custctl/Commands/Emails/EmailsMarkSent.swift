import ArgumentParser
import CustomerKit

extension EmailsCommand {
    /// `custctl emails mark-sent ID...`.
    struct MarkSent: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mark-sent",
            abstract: "Mark scheduled emails sent, all or none; marking one again changes nothing.",
            discussion: """
                An id that does not exist is 67 and marks none of them. With --json, one object per id.

                Example:
                  custctl emails mark-sent 17 18 19
                """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The emails' ids (from 'emails due').", valueName: "id")) var ids: [Int64]

        func run() throws {
            let marked = try Outbox(store: global.openStore()).markSent(ids)
            for (email, changed) in marked {
                global.output.result(
                    .object([("id", .int(email.id)), ("sent_at", .optional(email.sentAt)), ("changed", .bool(changed))])
                ) {
                    changed ? "marked email \(email.id) sent" : "email \(email.id) was already sent"
                }
            }
        }
    }
}
