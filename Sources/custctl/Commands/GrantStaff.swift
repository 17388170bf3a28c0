import ArgumentParser
import CustomerKit

/// `custctl grant-staff EMAIL --level L | --revoke`.
struct GrantStaff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant-staff",
        abstract: "Make a customer staff at a level, or revoke staff.",
        discussion: """
            Re-granting the same level changes nothing and exits 0. Every change is written to the audit log \
            with the acting OS user (or --actor).

            Example:
              custctl grant-staff ada@example.com --level read_only
              custctl grant-staff ada@example.com --revoke --actor oncall
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var customer: CustomerArgument

    @Option(help: ArgumentHelp("read_only, limited or full.", valueName: "level"))
    var level: AdminLevel?

    @Flag(help: "Remove staff access.")
    var revoke = false

    @OptionGroup var actor: ActorOption

    func validate() throws {
        guard (level != nil) != revoke else { throw ValidationError("give exactly one of --level and --revoke") }
    }

    func run() throws {
        let reference = try customer.reference
        let authenticator = try Authenticator(store: global.openStore(), hasher: Settings.hasher())
        let change = try authenticator.setStaff(reference, level: revoke ? nil : level, actor: actor.resolved)
        let c = change.customer
        global.output.result(
            .object([
                ("customer_id", .int(c.id)),
                ("email", .string(c.email)),
                ("is_staff", .bool(c.isStaff)),
                ("admin_level", .optional(c.adminLevel?.rawValue)),
                ("changed", .bool(change.changed)),
            ])
        ) {
            let state = c.adminLevel.map { "staff (\($0.rawValue))" } ?? "not staff"
            return change.changed ? "\(c.email) is now \(state)" : "\(c.email) is already \(state); nothing changed"
        }
    }
}
