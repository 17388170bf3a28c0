import ArgumentParser
import CustomerKit

extension BillingCommand {
    /// `custctl billing subscribe EMAIL [--period-end TIME]`.
    struct Subscribe: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "subscribe",
            abstract: "Subscribe to Pro ($15 per fix beyond credits) and record the first paid period (60 credits).",
            discussion: """
                Example:
                  custctl billing subscribe ada@example.com --period-end 2027-01-31T00:00:00Z
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var customer: CustomerArgument
        @Option(help: ArgumentHelp("End of the first period (default: 30 days from now).", valueName: "time"))
        var periodEnd: String?
        @OptionGroup var actor: ActorOption

        func run() throws {
            let end = try periodEnd.map(Timestamp.instant)
            let change = try CreditLedger(store: global.openStore()).subscribePro(
                try customer.reference, periodEnd: end, actor: actor.resolved)
            change.render(
                global.output,
                human: "\(change.customer.email): subscribed to Pro; granted \(change.granted?.amount ?? 0) credits")
        }
    }
}
