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
            ("verified_at", .optional(account.verifiedAt)), ("created_at", .instant(account.createdAt)),
        ])
    }
}

/// `EMAIL TYPE:NAMESPACE`: the customer and the forge account that link and unlink act on.
struct ForgeTarget: ParsableArguments {
    @OptionGroup var customer: CustomerArgument

    @Argument(help: ArgumentHelp("github, gitlab or bitbucket, and the namespace.", valueName: "type:namespace"))
    var forge: String

    /// Both, validated: an invalid email or namespace is 65.
    var parsed: (CustomerReference, ForgeNamespace) {
        get throws { (try customer.reference, try ForgeNamespace(parsing: forge)) }
    }
}
