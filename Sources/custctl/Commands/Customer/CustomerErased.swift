import ArgumentParser
import CustomerKit

extension CustomerCommand {
    /// `custctl customer erased EMAIL`: 0 when that address was erased, 67 when not.
    struct Erased: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "erased",
            abstract: "Tell whether an email address was erased (exit 0) or not (67).",
            discussion: """
                Example:
                  custctl customer erased ada@example.com --json
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The email address.", valueName: "email"))
        var email: String

        func run() throws {
            let record = try CustomerErasure(store: global.openStore(.reads)).erasure(of: email)
            global.output.result(
                .object([
                    ("erased", .bool(true)), ("customer_id", .int(record.customerId)),
                    ("erased_at", .instant(record.erasedAt)),
                ])
            ) { "erased: customer \(record.customerId) at \(Timestamp.string(from: record.erasedAt))" }
        }
    }
}
