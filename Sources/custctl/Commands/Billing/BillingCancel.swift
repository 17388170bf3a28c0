import ArgumentParser
import CustomerKit

extension BillingCommand {
    /// `custctl billing cancel EMAIL [--at-period-end]`.
    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel",
            abstract: "Cancel Pro now (back to $29 per fix) or at the period's end (Pro prices until then).",
            discussion: """
                Example:
                  custctl billing cancel ada@example.com --at-period-end
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var customer: CustomerArgument
        @Flag(help: "Keep Pro until the current period ends.") var atPeriodEnd = false
        @OptionGroup var actor: ActorOption

        func run() throws {
            let change = try CreditLedger(store: global.openStore()).cancel(
                try customer.reference, atPeriodEnd: atPeriodEnd, actor: actor.resolved)
            let when =
                atPeriodEnd
                ? "at the period's end (\(change.customer.subscriptionPeriodEnd.map(Timestamp.string(from:)) ?? "-"))"
                : "now"
            change.render(global.output, human: "\(change.customer.email): Pro canceled \(when)")
        }
    }
}
