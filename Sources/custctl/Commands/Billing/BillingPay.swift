import ArgumentParser
import CustomerKit

extension BillingCommand {
    /// `custctl billing pay EMAIL --period-end TIME`.
    struct Pay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pay",
            abstract: "Record a paid Pro period: 60 credits, exactly once per period (keyed by its end).",
            discussion: """
                Example:
                  custctl billing pay ada@example.com --period-end 2027-02-28T00:00:00Z
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var customer: CustomerArgument
        @Option(help: ArgumentHelp("End of the paid period.", valueName: "time")) var periodEnd: String
        @OptionGroup var actor: ActorOption

        func run() throws {
            let end = try Timestamp.instant(periodEnd)
            let change = try CreditLedger(store: global.openStore()).recordProPayment(
                try customer.reference, periodEnd: end, actor: actor.resolved)
            change.render(
                global.output,
                human: "\(change.customer.email): Pro period paid; granted \(change.granted?.amount ?? 0) credits")
        }
    }
}
