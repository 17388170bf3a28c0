import ArgumentParser
import CustomerKit

extension CreditsCommand {
    /// `custctl credits summary EMAIL`.
    struct Summary: ParsableCommand {
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

        @OptionGroup var customer: CustomerArgument

        func run() throws {
            let reference = try customer.reference
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
}
