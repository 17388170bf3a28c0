import ArgumentParser
import CustomerKit

/// `custctl billing ...`: payment method, Pro subscription, paid periods, cancellation.
struct BillingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "billing",
        abstract: "Change a customer's billing state (payment method, Pro subscription).",
        subcommands: [BillingPaymentMethod.self, BillingSubscribe.self, BillingPay.self, BillingCancel.self]
    )
}

/// Shared rendering of billing changes.
private func render(_ change: BillingChange, _ output: Output, human: String) {
    let c = change.customer
    output.result(
        .object([
            ("email", .string(c.email)), ("changed", .bool(change.changed)),
            ("customer_type", .string(c.customerType.rawValue)),
            ("payment_method_added_at", .optional(c.paymentMethodAddedAt)),
            ("subscription_plan", .string(c.subscriptionPlan)), ("subscription_status", .string(c.subscriptionStatus)),
            ("subscription_period_end", .optional(c.subscriptionPeriodEnd)),
            ("credits_granted", .int(change.granted?.amount ?? 0)),
            ("balance", .optional(change.granted?.balanceAfter)),
        ])
    ) { change.changed ? human : "\(c.email): nothing to change" }
}

/// `custctl billing payment-method EMAIL --consent`.
struct BillingPaymentMethod: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payment-method",
        abstract: "Record that the customer added a payment method (needs --consent).",
        discussion: """
            Example:
              custctl billing payment-method ada@example.com --consent
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email")) var customer: String
    @Flag(help: "The customer gave explicit consent to be billed.") var consent = false
    @OptionGroup var actor: ActorOption

    func run() throws {
        let change = try CreditLedger(store: global.openStore()).addPaymentMethod(
            CustomerReference(parsing: customer), consent: consent, actor: actor.resolved)
        render(
            change, global.output,
            human: "\(change.customer.email): payment method added; fixes beyond credits are now charged")
    }
}

/// `custctl billing subscribe EMAIL [--period-end TIME]`.
struct BillingSubscribe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Subscribe to Pro ($15 per fix beyond credits) and record the first paid period (60 credits).",
        discussion: """
            Example:
              custctl billing subscribe ada@example.com --period-end 2027-01-31T00:00:00Z
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email")) var customer: String
    @Option(help: ArgumentHelp("End of the first period (default: 30 days from now).", valueName: "time"))
    var periodEnd: String?
    @OptionGroup var actor: ActorOption

    func run() throws {
        let end = try periodEnd.map(CreditLedger.instant)
        let change = try CreditLedger(store: global.openStore()).subscribePro(
            CustomerReference(parsing: customer), periodEnd: end, actor: actor.resolved)
        render(
            change, global.output,
            human: "\(change.customer.email): subscribed to Pro; granted \(change.granted?.amount ?? 0) credits")
    }
}

/// `custctl billing pay EMAIL --period-end TIME`.
struct BillingPay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pay",
        abstract: "Record a paid Pro period: 60 credits, exactly once per period (keyed by its end).",
        discussion: """
            Example:
              custctl billing pay ada@example.com --period-end 2027-02-28T00:00:00Z
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email")) var customer: String
    @Option(help: ArgumentHelp("End of the paid period.", valueName: "time")) var periodEnd: String
    @OptionGroup var actor: ActorOption

    func run() throws {
        let end = try CreditLedger.instant(periodEnd)
        let change = try CreditLedger(store: global.openStore()).recordProPayment(
            CustomerReference(parsing: customer), periodEnd: end, actor: actor.resolved)
        render(
            change, global.output,
            human: "\(change.customer.email): Pro period paid; granted \(change.granted?.amount ?? 0) credits")
    }
}

/// `custctl billing cancel EMAIL [--at-period-end]`.
struct BillingCancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel Pro now (back to $29 per fix) or at the period's end (Pro prices until then).",
        discussion: """
            Example:
              custctl billing cancel ada@example.com --at-period-end
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email")) var customer: String
    @Flag(help: "Keep Pro until the current period ends.") var atPeriodEnd = false
    @OptionGroup var actor: ActorOption

    func run() throws {
        let change = try CreditLedger(store: global.openStore()).cancel(
            CustomerReference(parsing: customer), atPeriodEnd: atPeriodEnd, actor: actor.resolved)
        let when = atPeriodEnd ? "at the period's end (\(change.customer.subscriptionPeriodEnd ?? "-"))" : "now"
        render(change, global.output, human: "\(change.customer.email): Pro canceled \(when)")
    }
}
