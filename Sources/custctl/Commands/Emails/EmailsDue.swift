import ArgumentParser
import CustomerKit

extension EmailsCommand {
    /// `custctl emails due`.
    struct Due: ParsableCommand {
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
                row: {
                    [String($0.email.id), Timestamp.string(from: $0.email.dueAt), $0.recipient, $0.email.template]
                },
                json: { item in
                    .object([
                        ("id", .int(item.email.id)), ("customer_id", .int(item.email.customerId)),
                        ("to", .string(item.recipient)),
                        ("name", .string(item.name)), ("template", .string(item.email.template)),
                        ("due_at", .instant(item.email.dueAt)),
                    ])
                },
                summary: "\(due.count) email(s) due")
        }
    }
}
