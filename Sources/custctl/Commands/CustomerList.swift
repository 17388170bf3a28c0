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
        let customers = try global.openStore().customers(
            CustomerQuery(staff: staff, active: active, afterId: afterId, limit: limit))
        if output.json {
            for customer in customers { output.result(customer.json) { "" } }
            return
        }
        let rows = customers.map { c in
            [String(c.id), c.email, c.name, c.customerType.rawValue, c.adminLevel?.rawValue ?? (c.isStaff ? "staff" : "-"), c.active ? "yes" : "no"]
        }
        output.result(.null) { customers.isEmpty ? "" : Output.table(["ID", "EMAIL", "NAME", "TYPE", "STAFF", "ACTIVE"], rows) }
        output.note("\(customers.count) customer(s)")
    }
}
