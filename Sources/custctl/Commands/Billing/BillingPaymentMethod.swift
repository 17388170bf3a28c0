import ArgumentParser
import CustomerKit

extension BillingCommand {
    /// `custctl billing payment-method EMAIL --consent`.
    struct PaymentMethod: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "payment-method",
            abstract: "Record that the customer added a payment method (needs --consent).",
            discussion: """
                Example:
                  custctl billing payment-method ada@example.com --consent
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var customer: CustomerArgument
        @Flag(help: "The customer gave explicit consent to be billed.") var consent = false
        @OptionGroup var actor: ActorOption

        func run() throws {
            let change = try CreditLedger(store: global.openStore()).addPaymentMethod(
                try customer.reference, consent: consent, actor: actor.resolved)
            change.render(
                global.output,
                human: "\(change.customer.email): payment method added; fixes beyond credits are now charged")
        }
    }
}
