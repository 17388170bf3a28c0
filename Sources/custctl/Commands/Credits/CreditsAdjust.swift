import ArgumentParser
import CustomerKit

extension CreditsCommand {
    /// `custctl credits adjust EMAIL (--add N | --remove N) --reason TEXT [--idempotency-key K]`.
    struct Adjust: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "adjust",
            abstract: "Correct a balance with an audited adjustment; never below zero.",
            discussion: """
                The ledger is append-only: a mistaken grant or consumption is corrected by a new 'adjust' entry \
                with the reason. Removing more than the balance is refused (65, adjustment_exceeds_balance).

                Example:
                  custctl credits adjust ada@example.com --remove 50 \\
                    --reason "grant of 50 was meant for bob"
                """
        )

        @OptionGroup var global: GlobalOptions

        @OptionGroup var customer: CustomerArgument

        @Option(help: ArgumentHelp("Credits to add.", valueName: "n"))
        var add: String?

        @Option(help: ArgumentHelp("Credits to remove.", valueName: "n"))
        var remove: String?

        @Option(help: "Why (kept in the entry and the audit log).")
        var reason: String

        @Option(help: "Apply this request once, however often it is retried.")
        var idempotencyKey: String?

        @OptionGroup var actor: ActorOption

        func validate() throws {
            guard (add == nil) != (remove == nil) else {
                throw ValidationError("give exactly one of --add N or --remove N")
            }
        }

        func run() throws {
            let reference = try customer.reference
            let amount = try add.map(CreditLedger.amount) ?? -(try remove.map(CreditLedger.amount) ?? 0)
            let result = try CreditLedger(store: global.openStore()).adjust(
                reference, by: amount, reason: reason, idempotencyKey: idempotencyKey, actor: actor.resolved)
            global.output.result(
                .object([
                    ("email", .string(result.email)), ("entry_id", .int(result.entry.id)),
                    ("amount", .int(result.entry.amount)), ("balance", .int(result.entry.balanceAfter)),
                    ("replayed", .bool(result.replayed)),
                ])
            ) {
                (result.replayed ? "already adjusted: " : "adjusted ")
                    + "\(result.email) by \(result.entry.amount); balance \(result.entry.balanceAfter)"
            }
        }
    }
}
