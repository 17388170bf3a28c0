import ArgumentParser
import CustomerKit

extension CustomerCommand {
    /// `custctl customer update EMAIL [--name N] [--company C] [--type T]`.
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Change a customer's name, company or type (audited).",
            discussion: """
                Example:
                  custctl customer update ada@example.com --type enterprise \\
                    --company "Analytical Engines Ltd"
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var customer: CustomerArgument
        @Option(help: "New name.") var name: String?
        @Option(help: "New company name.") var company: String?
        @Option(help: ArgumentHelp("trial, paid, enterprise or internal.", valueName: "type")) var type: CustomerType?
        @OptionGroup var actor: ActorOption

        func validate() throws {
            guard name != nil || company != nil || type != nil else {
                throw ValidationError("give at least one of --name, --company, --type")
            }
        }

        func run() throws {
            let (updated, changed) = try CustomerAdmin(store: global.openStore()).update(
                try customer.reference, name: name, company: company, type: type, actor: actor.resolved
            )
            guard case .object(let members) = updated.json else { return }
            global.output.result(.object(members + [("changed", .bool(changed))])) {
                changed ? "updated \(updated.email)" : "\(updated.email): nothing to change"
            }
        }
    }
}
