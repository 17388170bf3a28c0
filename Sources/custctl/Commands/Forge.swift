import ArgumentParser
import CustomerKit

/// `custctl forge link|unlink|list`.
struct ForgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forge",
        abstract: "Link customers to their GitHub, GitLab and Bitbucket namespaces.",
        subcommands: [ForgeLink.self, ForgeUnlink.self, ForgeList.self]
    )
}

extension LinkedForgeAccount {
    var json: JSONValue {
        .object([
            ("id", .int(account.id)), ("customer_id", .int(account.customerId)), ("email", .string(email)),
            ("forge_type", .string(account.forgeType.rawValue)), ("namespace", .string(account.namespace)),
            ("verified_at", .optional(account.verifiedAt)), ("created_at", .string(account.createdAt)),
        ])
    }
}

/// `custctl forge link EMAIL TYPE:NAMESPACE`.
struct ForgeLink: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Link a forge namespace to a customer (a namespace belongs to one customer).",
        discussion: """
            Example:
              custctl forge link ada@example.com github:ada-labs
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email")) var customer: String
    @Argument(help: ArgumentHelp("github, gitlab or bitbucket, and the namespace.", valueName: "type:namespace"))
    var forge: String
    @OptionGroup var actor: ActorOption

    func run() throws {
        let reference = try CustomerReference(parsing: customer)
        let (account, changed) = try ForgeAccounts(store: global.openStore()).link(
            reference, ForgeNamespace(parsing: forge), actor: actor.resolved)
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

/// `custctl forge unlink EMAIL TYPE:NAMESPACE`.
struct ForgeUnlink: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlink",
        abstract: "Remove a customer's forge account; unlinking it again changes nothing.",
        discussion: """
            An account the customer never had is 67.

            Example:
              custctl forge unlink ada@example.com github:ada-labs
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email")) var customer: String
    @Argument(help: ArgumentHelp("github, gitlab or bitbucket, and the namespace.", valueName: "type:namespace"))
    var forge: String
    @OptionGroup var actor: ActorOption

    func run() throws {
        let reference = try CustomerReference(parsing: customer)
        let namespace = try ForgeNamespace(parsing: forge)
        let removed = try ForgeAccounts(store: global.openStore()).unlink(reference, namespace, actor: actor.resolved)
        global.output.result(
            .object([
                ("id", .optional(removed)), ("forge_type", .string(namespace.type.rawValue)),
                ("namespace", .string(namespace.namespace)), ("changed", .bool(removed != nil)),
            ])
        ) {
            removed == nil ? "\(namespace.description) was already unlinked" : "unlinked \(namespace.description)"
        }
    }
}

/// `custctl forge list [EMAIL]`.
struct ForgeList: ParsableCommand {
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
