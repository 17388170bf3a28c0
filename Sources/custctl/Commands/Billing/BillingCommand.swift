import ArgumentParser
import CustomerKit

/// `custctl billing ...`: payment method, Pro subscription, paid periods, cancellation.
struct BillingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "billing",
        abstract: "Change a customer's billing state (payment method, Pro subscription).",
        subcommands: [
            BillingCommand.PaymentMethod.self, BillingCommand.Subscribe.self, BillingCommand.Pay.self,
            BillingCommand.Cancel.self,
        ]
    )
}

extension BillingChange {
    /// The one rendering of every billing command's result.
    func render(_ output: Output, human: String) {
        let change = self
        let c = change.customer
        output.result(
            .object([
                ("email", .string(c.email)), ("changed", .bool(change.changed)),
                ("customer_type", .string(c.customerType.rawValue)),
                ("payment_method_added_at", .optional(c.paymentMethodAddedAt)),
                ("subscription_plan", .string(c.subscriptionPlan.rawValue)),
                ("subscription_status", .string(c.subscriptionStatus.rawValue)),
                ("subscription_period_end", .optional(c.subscriptionPeriodEnd)),
                ("credits_granted", .int(change.granted?.amount ?? 0)),
                ("balance", .optional(change.granted?.balanceAfter)),
            ])
        ) { change.changed ? human : "\(c.email): nothing to change" }
    }
}
