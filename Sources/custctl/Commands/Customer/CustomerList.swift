import ArgumentParser
import CustomerKit

extension CustomerCommand {
    /// `custctl customer list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List customers in id order (JSON Lines with --json).",
            discussion: """
                --csv writes every field of the record (the keys of --json) as RFC 4180 CSV with a header row.

                Examples:
                  custctl customer list --staff --json
                  custctl customer list --csv > customers.csv
                """
        )

        @OptionGroup var global: GlobalOptions

        @Flag(inversion: .prefixedNo, help: "Only staff (--staff) or only non-staff (--no-staff).")
        var staff: Bool?

        @Flag(inversion: .prefixedNo, help: "Only active (--active) or only inactive (--no-active).")
        var active: Bool?

        @Flag(help: "CSV (RFC 4180) with a header row instead of a table.")
        var csv = false

        @OptionGroup var paging: PageOptions

        func validate() throws {
            if csv && global.json { throw ValidationError("--csv and --json cannot be used together") }
        }

        func run() throws {
            let output = global.output
            let customers = try global.openStore(.reads).customers(
                CustomerQuery(staff: staff, active: active, page: paging.page))
            if csv {
                output.csv(customers.map(\.json), nextAfterId: customers.nextAfterId)
                return
            }
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
}
