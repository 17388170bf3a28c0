import ArgumentParser
import CustomerKit

extension ForgeCommand {
    /// `custctl forge link EMAIL TYPE:NAMESPACE`.
    struct Link: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "link",
            abstract: "Link a forge namespace to a customer (a namespace belongs to one customer).",
            discussion: """
                Example:
                  custctl forge link ada@example.com github:ada-labs
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: ForgeTarget
        @OptionGroup var actor: ActorOption

        func run() throws {
            let (reference, namespace) = try target.parsed
            let (account, changed) = try ForgeAccounts(store: global.openStore()).link(
                reference, namespace, actor: actor.resolved)
            global.output.result(
                .object([
                    ("id", .int(account.id)), ("customer_id", .int(account.customerId)),
                    ("forge_type", .string(account.forgeType.rawValue)),
                    ("namespace", .string(account.namespace)), ("changed", .bool(changed)),
                ])
            ) {
                changed
                    ? "linked \(account.forgeType.rawValue):\(account.namespace)"
                    : "\(account.forgeType.rawValue):\(account.namespace) is already linked"
            }
        }
    }
}
