import ArgumentParser
import CustomerKit

extension AuditCommand {
    /// `custctl audit list [--customer EMAIL|ID] [--action A] [--since TIME] [--limit N] [--after-id ID]`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List audit entries, newest first (JSON Lines with --json).",
            discussion: """
                --action takes an action (credits.grant) or a group (credits: every credits.* action). \
                --after-id continues to older entries.

                Examples:
                  custctl audit list --customer ada@example.com --limit 20
                  custctl audit list --action apikey --since 2026-11-01
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("Only entries about this customer (email or id).", valueName: "customer"))
        var customer: String?

        @Option(help: ArgumentHelp("Only this action, or every action of a group.", valueName: "action"))
        var action: String?

        @Option(help: ArgumentHelp("Only entries at or after this instant (ISO 8601).", valueName: "time"))
        var since: String?

        @OptionGroup var paging: PageOptions

        func validate() throws {
            if let action, action.isEmpty || !action.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) {
                throw ValidationError("--action takes an action like credits.grant or a group like credits")
            }
        }

        func run() throws {
            let since = try since.map(Timestamp.instant)
            let store = try global.openStore(.reads)
            let customerId = try customer.map { try store.customer(CustomerReference(parsing: $0)).id }
            let entries = try store.auditEntries(
                AuditQuery(customerId: customerId, action: action, since: since, page: paging.page))
            global.output.list(
                entries, header: ["WHEN", "OS USER", "ACTOR", "ACTION", "SUBJECT", "DETAILS"],
                row: { e in
                    [
                        Timestamp.string(from: e.createdAt), e.osUser ?? "-", e.actor, e.action, e.subject ?? "-",
                        e.details.serialized,
                    ]
                },
                json: \.json, summary: "\(entries.count) entr\(entries.count == 1 ? "y" : "ies")")
        }
    }
}
