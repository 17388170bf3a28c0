import ArgumentParser
import CustomerKit

/// `custctl credits ...`: the credit ledger.
struct Credits: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and change a customer's credits (billing state: see 'custctl billing').",
        subcommands: [
            CreditsBalance.self, CreditsGrant.self, CreditsConsume.self, CreditsAdjust.self, CreditsHistory.self,
            CreditsSummary.self,
        ]
    )
}

/// `custctl credits balance EMAIL`.
struct CreditsBalance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance",
        abstract: "Print the credit balance (expired credits excluded).",
        discussion: """
            Example:
              custctl credits balance ada@example.com --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email"))
    var customer: String

    func run() throws {
        let reference = try CustomerReference(parsing: customer)
        let (email, balance) = try CreditLedger(store: global.openStore(.reads)).balance(reference)
        global.output.result(.object([("email", .string(email)), ("balance", .int(balance))])) { String(balance) }
    }
}

/// `custctl credits grant EMAIL AMOUNT --source S`.
struct CreditsGrant: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant",
        abstract: "Grant credits, optionally expiring at an instant.",
        discussion: """
            With --idempotency-key, the same request replays the first result (exit 0) and a different \
            request with the same key is a conflict (exit 73).

            Example:
              custctl credits grant ada@example.com 10 --source manual \\
                --expires-at 2027-01-31T00:00:00Z
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email"))
    var customer: String

    @Argument(help: "Credits to grant (1 to 1000000).")
    var amount: String

    @Option(help: "Why: trial_signup, purchase, manual, ...")
    var source: String

    @Option(help: ArgumentHelp("When the credits stop counting (ISO 8601).", valueName: "time"))
    var expiresAt: String?

    @Option(help: "Apply this request once, however often it is retried.")
    var idempotencyKey: String?

    @Option(help: "A note kept with the entry.")
    var note: String?

    @OptionGroup var actor: ActorOption

    func run() throws {
        let reference = try CustomerReference(parsing: customer)
        let credits = try CreditLedger.amount(amount)
        let expiry = try expiresAt.map(CreditLedger.instant)
        let result = try CreditLedger(store: global.openStore()).grant(
            reference, amount: credits, source: source, expiresAt: expiry, idempotencyKey: idempotencyKey,
            note: note, actor: actor.resolved)
        global.output.result(
            .object([
                ("email", .string(result.email)), ("entry_id", .int(result.entry.id)),
                ("amount", .int(result.entry.amount)),
                ("balance", .int(result.entry.balanceAfter)), ("expires_at", .optional(result.entry.expiresAt)),
                ("replayed", .bool(result.replayed)),
            ])
        ) {
            (result.replayed ? "already granted: " : "granted ")
                + "\(result.entry.amount) credit(s) to \(result.email); "
                + "balance \(result.entry.balanceAfter)"
        }
    }
}

/// `custctl credits consume EMAIL [--amount N] [--fix-id ID]`.
struct CreditsConsume: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Use credits for deployed fixes; beyond credits, charge per fix or refuse.",
        discussion: """
            Credits are used first, soonest-expiring first. With no credits left a customer with a payment \
            method is charged per fix ($29 pay-as-you-go, $15 on Pro); without one the request is refused (69). \
            A --fix-id already paid for is refused (73, fix_already_paid) unless --allow-repeat; a retry with \
            the same --idempotency-key replays the first result instead.

            Example:
              custctl credits consume ada@example.com --fix-id fix-42 \\
                --idempotency-key deploy-42
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email"))
    var customer: String

    @Option(help: "Fixes deployed (1 to 1000000).")
    var amount: String = "1"

    @Option(help: "The deployed fix, kept with the entry.")
    var fixId: String?

    @Option(help: "Apply this request once, however often it is retried.")
    var idempotencyKey: String?

    @Flag(help: "Pay for a --fix-id that was paid for before.")
    var allowRepeat = false

    func run() throws {
        let reference = try CustomerReference(parsing: customer)
        let fixes = try CreditLedger.amount(amount)
        let result = try CreditLedger(store: global.openStore()).consume(
            reference, fixes: fixes, fixId: fixId, idempotencyKey: idempotencyKey, allowRepeat: allowRepeat)
        global.output.result(
            .object([
                ("email", .string(result.email)), ("credits_used", .int(result.creditsUsed)),
                ("charged_fixes", .int(result.chargedFixes)), ("charge_cents", .int(result.chargeCents)),
                ("balance", .int(result.balance)), ("replayed", .bool(result.replayed)),
            ])
        ) {
            var parts: [String] = []
            if result.creditsUsed > 0 { parts.append("used \(result.creditsUsed) credit(s)") }
            if result.chargedFixes > 0 {
                parts.append("charged \(result.chargedFixes) fix(es): \(Money.format(result.chargeCents))")
            }
            return (result.replayed ? "already applied: " : "") + parts.joined(separator: ", ")
                + "; balance \(result.balance)"
        }
    }
}

/// `custctl credits history EMAIL [--limit N] [--after-id ID]`.
struct CreditsHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List ledger entries, newest first (JSON Lines with --json).",
        discussion: """
            Example:
              custctl credits history ada@example.com --limit 10
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email"))
    var customer: String

    @OptionGroup var paging: PageOptions

    func run() throws {
        let reference = try CustomerReference(parsing: customer)
        let (_, entries) = try CreditLedger(store: global.openStore(.reads)).history(reference, page: paging.page)
        global.output.list(
            entries, header: ["ID", "WHEN", "KIND", "AMOUNT", "BALANCE", "SOURCE", "CHARGE", "EXPIRES", "FIX", "NOTE"],
            row: { e in
                [
                    String(e.id), e.createdAt, e.kind.rawValue, String(e.amount), String(e.balanceAfter), e.source,
                    e.chargeCents.map(Money.format) ?? "-", e.expiresAt ?? "-", e.fixId ?? "-", e.note ?? "-",
                ]
            },
            json: \.json, summary: "\(entries.count) entr\(entries.count == 1 ? "y" : "ies")")
    }
}

/// `custctl credits summary EMAIL`.
struct CreditsSummary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Balance, plan, price per fix, usage this period and warnings.",
        discussion: """
            Warnings: low_balance when the balance is 2 or less; critical when it is 0 and there is no payment method.

            Example:
              custctl credits summary ada@example.com --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email"))
    var customer: String

    func run() throws {
        let reference = try CustomerReference(parsing: customer)
        let s = try CreditLedger(store: global.openStore(.reads)).summary(reference)
        global.output.result(
            .object([
                ("email", .string(s.email)), ("balance", .int(s.balance)), ("plan", .string(s.plan.rawValue)),
                ("subscription_status", .string(s.status.rawValue)), ("rate_cents", .int(s.fixCents)),
                ("payment_method", .bool(s.hasPaymentMethod)), ("usage_this_period", .int(s.usageThisPeriod)),
                ("period_start", .string(Timestamp.string(from: s.periodStart))),
                ("period_end", .optional(s.periodEnd)),
                ("warnings", .array(s.warnings.map(JSONValue.string))),
            ])
        ) {
            var lines = [
                "customer:          \(s.email)",
                "balance:           \(s.balance) credit(s)",
                "plan:              \(s.plan.rawValue) (\(s.status.rawValue)); \(Money.format(s.fixCents)) per fix beyond credits",
                "payment method:    \(s.hasPaymentMethod ? "yes" : "no")",
                "usage this period: \(s.usageThisPeriod) fix(es) since \(Timestamp.string(from: s.periodStart))",
            ]
            if s.warnings.contains("critical") {
                lines.append("CRITICAL: no credits and no payment method; fixes are refused until one is added")
            } else if s.warnings.contains("low_balance") {
                lines.append("warning: low balance")
            }
            return lines.joined(separator: "\n")
        }
    }
}

extension LedgerEntry {
    var json: JSONValue {
        .object([
            ("id", .int(id)), ("customer_id", .int(customerId)), ("amount", .int(amount)),
            ("balance_after", .int(balanceAfter)), ("kind", .string(kind.rawValue)), ("source", .string(source)),
            ("charge_cents", .optional(chargeCents)), ("expires_at", .optional(expiresAt)),
            ("idempotency_key", .optional(idempotencyKey)), ("fix_id", .optional(fixId)), ("note", .optional(note)),
            ("metadata", .raw(metadata)), ("created_at", .string(createdAt)),
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
