import ArgumentParser
import CustomerKit

/// `custctl forge link|unlink|list`.
struct ForgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forge",
        abstract: "Link customers to their GitHub, GitLab and Bitbucket namespaces.",
        subcommands: [ForgeCommand.Link.self, ForgeCommand.Unlink.self, ForgeCommand.List.self]
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
