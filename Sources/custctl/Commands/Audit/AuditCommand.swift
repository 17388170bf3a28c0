import ArgumentParser
import CustomerKit

/// `custctl audit list`.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read the audit log.",
        subcommands: [AuditCommand.List.self]
    )
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
            ("details", details),
            ("created_at", .instant(createdAt)),
        ])
    }
}
