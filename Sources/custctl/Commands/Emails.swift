import ArgumentParser
import CustomerKit

/// `custctl emails due|mark-sent`: the onboarding outbox a mailer reads.
struct EmailsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emails",
        abstract: "Read the onboarding outbox and mark emails sent (custctl sends no mail).",
        subcommands: [EmailsDue.self, EmailsMarkSent.self]
    )
}

/// `custctl emails due`.
struct EmailsDue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "due",
        abstract: "List unsent emails that are due, oldest first (JSON Lines with --json).",
        discussion: """
            Example:
              custctl emails due --json | my-mailer && custctl emails mark-sent 17
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var paging: PageOptions

    func run() throws {
        let due = try Outbox(store: global.openStore(.reads)).due(page: paging.page)
        global.output.list(
            due, header: ["ID", "DUE", "TO", "TEMPLATE"],
            row: { [String($0.email.id), $0.email.dueAt, $0.recipient, $0.email.template] },
            json: { item in
                .object([
                    ("id", .int(item.email.id)), ("customer_id", .int(item.email.customerId)),
                    ("to", .string(item.recipient)),
                    ("name", .string(item.name)), ("template", .string(item.email.template)),
                    ("due_at", .string(item.email.dueAt)),
                ])
            },
            summary: "\(due.count) email(s) due")
    }
}

/// `custctl emails mark-sent ID...`.
struct EmailsMarkSent: ParsableCommand {
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
