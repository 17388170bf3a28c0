import ArgumentParser
import CustomerKit

/// `custctl customer update EMAIL [--name N] [--company C] [--type T]`.
struct CustomerUpdate: ParsableCommand {
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
    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email")) var customer: String
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
            CustomerReference(parsing: customer), name: name, company: company, type: type, actor: actor.resolved
        )
        guard case .object(let members) = updated.json else { return }
        global.output.result(.object(members + [("changed", .bool(changed))])) {
            changed ? "updated \(updated.email)" : "\(updated.email): nothing to change"
        }
    }
}

/// `custctl customer deactivate|activate EMAIL`.
struct CustomerDeactivate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deactivate",
        abstract: "Deactivate a customer: logins, API keys and credit use are refused (audited).",
        discussion: """
            Example:
              custctl customer deactivate ada@example.com
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email")) var customer: String
    @OptionGroup var actor: ActorOption

    func run() throws {
        try CustomerActivation.run(global: global, customer: customer, active: false, actor: actor)
    }
}

/// `custctl customer activate EMAIL`.
struct CustomerActivate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activate",
        abstract: "Activate a deactivated customer (audited).",
        discussion: """
            Example:
              custctl customer activate ada@example.com
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email")) var customer: String
    @OptionGroup var actor: ActorOption

    func run() throws {
        try CustomerActivation.run(global: global, customer: customer, active: true, actor: actor)
    }
}

enum CustomerActivation {
    static func run(global: GlobalOptions, customer: String, active: Bool, actor: ActorOption) throws {
        let (updated, changed) = try CustomerAdmin(store: global.openStore()).setActive(
            CustomerReference(parsing: customer), active, actor: actor.resolved)
        global.output.result(
            .object([
                ("customer_id", .int(updated.id)), ("email", .string(updated.email)),
                ("active", .bool(updated.active)), ("changed", .bool(changed)),
            ])
        ) {
            let state = updated.active ? "active" : "inactive"
            return changed ? "\(updated.email) is now \(state)" : "\(updated.email) is already \(state)"
        }
    }
}
