import ArgumentParser
import CustomerKit

extension ForgeCommand {
    /// `custctl forge list [EMAIL]`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List forge accounts (JSON Lines with --json).",
            discussion: """
                Example:
                  custctl forge list ada@example.com --json
                """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("Only this customer's accounts (email or id).", valueName: "email")) var customer:
            String?
        @OptionGroup var paging: PageOptions

        func run() throws {
            let accounts = try ForgeAccounts(store: global.openStore(.reads)).list(
                for: customer.map(CustomerReference.init(parsing:)), page: paging.page)
            global.output.list(
                accounts, header: ["ID", "CUSTOMER", "FORGE", "NAMESPACE"],
                row: { [String($0.account.id), $0.email, $0.account.forgeType.rawValue, $0.account.namespace] },
                json: \.json, summary: "\(accounts.count) forge account(s)")
        }
    }
}
