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
            let overview = try CustomerOverview(try customer.reference, store: global.openStore(.reads))
            global.output.result(overview.json) { overview.text }
        }
    }
}
