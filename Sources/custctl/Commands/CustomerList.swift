import ArgumentParser
import CustomerKit

/// `custctl customer list`.
struct CustomerList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List customers in id order (JSON Lines with --json).",
        discussion: """
            Example:
              custctl customer list --staff --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(inversion: .prefixedNo, help: "Only staff (--staff) or only non-staff (--no-staff).")
    var staff: Bool?

    @Flag(inversion: .prefixedNo, help: "Only active (--active) or only inactive (--no-active).")
    var active: Bool?

    @Option(help: "Start after this customer id (paging).")
    var afterId: Int64?

    @Option(help: "At most this many customers.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }

    func run() throws {
        let output = global.output
        let customers = try global.openStore(.reads).customers(
            CustomerQuery(staff: staff, active: active, afterId: afterId, limit: limit))
        output.list(
            customers, header: ["ID", "EMAIL", "NAME", "TYPE", "STAFF", "ACTIVE"],
            row: { c in
                [
                    String(c.id), c.email, c.name, c.customerType.rawValue,
                    c.adminLevel?.rawValue ?? (c.isStaff ? "staff" : "-"),
                    c.active ? "yes" : "no",
                ]
            },
            json: \.json, summary: "\(customers.count) customer(s)")
    }
}
