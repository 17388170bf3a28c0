import ArgumentParser
import CustomerKit

extension CreditsCommand {
    /// `custctl credits consume EMAIL [--amount N] [--fix-id ID]`.
    struct Consume: ParsableCommand {
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

        @OptionGroup var customer: CustomerArgument

        @Option(help: "Fixes deployed (1 to 1000000).")
        var amount: String = "1"

        @Option(help: "The deployed fix, kept with the entry.")
        var fixId: String?

        @Option(help: "Apply this request once, however often it is retried.")
        var idempotencyKey: String?

        @Flag(help: "Pay for a --fix-id that was paid for before.")
        var allowRepeat = false

        func run() throws {
            let reference = try customer.reference
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
}
