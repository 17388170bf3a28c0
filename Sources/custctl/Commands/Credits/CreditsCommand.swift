import ArgumentParser
import CustomerKit

/// `custctl credits ...`: the credit ledger.
struct CreditsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credits",
        abstract: "Read and change a customer's credits (billing state: see 'custctl billing').",
        subcommands: [
            CreditsCommand.Balance.self, CreditsCommand.Grant.self, CreditsCommand.Consume.self,
            CreditsCommand.Adjust.self, CreditsCommand.History.self,
            CreditsCommand.Summary.self,
        ]
    )
}

extension LedgerEntry {
    var json: JSONValue {
        .object([
            ("id", .int(id)), ("customer_id", .int(customerId)), ("amount", .int(amount)),
            ("balance_after", .int(balanceAfter)), ("kind", .string(kind.rawValue)), ("source", .string(source)),
            ("charge_cents", .optional(chargeCents)), ("expires_at", .optional(expiresAt)),
            ("idempotency_key", .optional(idempotencyKey)), ("fix_id", .optional(fixId)), ("note", .optional(note)),
            ("metadata", metadata), ("created_at", .instant(createdAt)),
        ])
    }
}

/// Formats integer cents as dollars for people.
enum Money {
    static func format(_ cents: Int64) -> String {
        let dollars = cents / 100
        let rest = abs(cents % 100)
        return "$\(dollars).\(rest < 10 ? "0" : "")\(rest)"
    }
}
