import ArgumentParser
import CustomerKit

/// `custctl customer show EMAIL|ID`.
struct CustomerShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one customer: the record, balance, plan, API keys and forge accounts.",
        discussion: """
            Example:
              custctl customer show alice@example.com --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The customer's email or numeric id.", valueName: "email-or-id"))
    var customer: String

    func run() throws {
        let overview = try CustomerOverview(CustomerReference(parsing: customer), store: global.openStore(.reads))
        global.output.result(overview.json) { overview.text }
    }
}

extension CustomerOverview {
    var json: JSONValue {
        guard case .object(let members) = customer.json else { return customer.json }
        return .object(
            members + [
                ("balance", .int(balance)), ("plan", .string(plan.rawValue)),
                (
                    "api_keys",
                    .array(
                        keys.map {
                            .object([
                                ("id", .int($0.key.id)), ("prefix", .string($0.key.prefix)),
                                ("name", .string($0.key.name)), ("status", .string($0.status.rawValue)),
                                ("expires_at", .optional($0.key.expiresAt)),
                            ])
                        })
                ),
                (
                    "forge_accounts",
                    .array(
                        forgeAccounts.map {
                            .object([
                                ("id", .int($0.id)), ("forge_type", .string($0.forgeType.rawValue)),
                                ("namespace", .string($0.namespace)),
                            ])
                        })
                ),
            ])
    }

    /// The record as aligned `key  value` lines, then the keys and forge accounts as tables.
    var text: String {
        guard case .object(let members) = customer.json else { return "" }
        let fields = members + [("balance", .int(balance)), ("plan", .string(plan.rawValue))]
        var lines = [
            Output.table(
                nil,
                fields.map { key, value in
                    switch value {
                    case .string(let s): [key, s]
                    case .null: [key, "-"]
                    default: [key, value.serialized]
                    }
                })
        ]
        lines.append("")
        lines.append(
            keys.isEmpty
                ? "API keys: none"
                : "API keys:\n"
                    + Output.table(
                        ["ID", "PREFIX", "NAME", "STATUS", "EXPIRES"],
                        keys.map {
                            [
                                String($0.key.id), $0.key.prefix, $0.key.name, $0.status.rawValue,
                                $0.key.expiresAt ?? "-",
                            ]
                        }))
        lines.append(
            forgeAccounts.isEmpty
                ? "Forge accounts: none"
                : "Forge accounts:\n"
                    + Output.table(
                        ["ID", "FORGE", "NAMESPACE"],
                        forgeAccounts.map { [String($0.id), $0.forgeType.rawValue, $0.namespace] }))
        return lines.joined(separator: "\n")
    }
}
