import ArgumentParser
import CustomerKit

/// `custctl audit list`.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the audit log.",
        subcommands: [AuditList.self]
    )
}

/// `custctl audit list [--customer EMAIL|ID] [--limit N]`.
struct AuditList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List audit entries, newest first (JSON Lines with --json).",
        discussion: """
            Example:
              custctl audit list --customer ada@example.com --limit 20
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only entries about this customer (email or id).", valueName: "customer"))
    var customer: String?

    @Option(help: "At most this many entries.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }

    func run() throws {
        let store = try global.openStore(.reads)
        let customerId = try customer.map { try store.customer(CustomerReference(parsing: $0)).id }
        let entries = try store.auditEntries(customerId: customerId, limit: limit)
        global.output.list(
            entries, header: ["WHEN", "OS USER", "ACTOR", "ACTION", "SUBJECT", "DETAILS"],
            row: { e in [e.createdAt, e.osUser ?? "-", e.actor, e.action, e.subject ?? "-", e.details] },
            json: \.json, summary: "\(entries.count) entr\(entries.count == 1 ? "y" : "ies")")
    }
}

extension AuditEntry {
    var json: JSONValue {
        .object([
            ("id", .int(id)),
            ("actor", .string(actor)),
            ("os_user", .optional(osUser)),
            ("action", .string(action)),
            ("customer_id", .optional(customerId)),
            ("subject", .optional(subject)),
            ("details", .raw(details)),
            ("created_at", .string(createdAt)),
        ])
    }
}
