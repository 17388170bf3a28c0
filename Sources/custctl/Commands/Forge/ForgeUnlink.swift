import ArgumentParser
import CustomerKit

extension ForgeCommand {
    /// `custctl forge unlink EMAIL TYPE:NAMESPACE`.
    struct Unlink: ParsableCommand {
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
        @OptionGroup var target: ForgeTarget
        @OptionGroup var actor: ActorOption

        func run() throws {
            let (reference, namespace) = try target.parsed
            let removed = try ForgeAccounts(store: global.openStore()).unlink(
                reference, namespace, actor: actor.resolved)
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
}
