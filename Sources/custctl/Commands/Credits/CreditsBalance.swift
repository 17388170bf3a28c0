import ArgumentParser
import CustomerKit

extension CreditsCommand {
    /// `custctl credits balance EMAIL`.
    struct Balance: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "balance",
            abstract: "Print the credit balance (expired credits excluded).",
            discussion: """
                Example:
                  custctl credits balance ada@example.com --json
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
            let (email, balance) = try CreditLedger(store: global.openStore(.reads)).balance(reference)
            global.output.result(.object([("email", .string(email)), ("balance", .int(balance))])) { String(balance) }
        }
    }
}
