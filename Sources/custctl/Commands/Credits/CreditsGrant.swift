import ArgumentParser
import CustomerKit

extension CreditsCommand {
    /// `custctl credits grant EMAIL AMOUNT --source S`.
    struct Grant: ParsableCommand {
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

        @OptionGroup var customer: CustomerArgument

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
            let reference = try customer.reference
            let credits = try CreditLedger.amount(amount)
            let expiry = try expiresAt.map(Timestamp.instant)
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
}
