import ArgumentParser
import CustomerKit
import Foundation

extension APIKeyCommand {
    /// `custctl apikey list [EMAIL]`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List API keys by prefix (never their secrets); JSON Lines with --json.",
            discussion: """
                Example:
                  custctl apikey list ada@example.com
                """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("Only this customer's keys (email or id).", valueName: "email")) var customer:
            String?
        @OptionGroup var paging: PageOptions

        func run() throws {
            let reference = try customer.map(CustomerReference.init(parsing:))
            let keys = try APIKeys(store: global.openStore(.reads)).list(for: reference, page: paging.page)
            global.output.list(
                keys, header: ["ID", "CUSTOMER", "PREFIX", "NAME", "STATUS", "EXPIRES", "LAST USED"],
                row: { (listed: ListedAPIKey) -> [String] in
                    let k = listed.key
                    return [
                        String(k.id), listed.customerEmail, k.prefix, k.name, listed.status.rawValue,
                        k.expiresAt.map(Timestamp.string(from:)) ?? "-",
                        k.lastUsedAt.map(Timestamp.string(from:)) ?? "-",
                    ]
                },
                json: { $0.json }, summary: "\(keys.count) key(s)")
        }
    }
}
