import ArgumentParser
import CustomerKit

extension CustomerCommand {
    /// `custctl customer show EMAIL|ID`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one customer: the record, balance, plan, API keys and forge accounts.",
            discussion: """
                Example:
                  custctl customer show alice@example.com --json
                """
        )

        @OptionGroup var global: GlobalOptions

        @OptionGroup var customer: CustomerArgument

        func run() throws {
            try Self.run(customer.customer, global.settings)
        }

        /// The command itself, also reached by the fast path (`HotCommand`).
        static func run(_ customer: String, _ global: GlobalSettings) throws {
            let reference = try CustomerReference(parsing: customer)
            let overview = try CustomerOverview(reference, store: global.openStore(.reads))
            global.output.result(overview.json) { overview.text }
        }
    }
}
