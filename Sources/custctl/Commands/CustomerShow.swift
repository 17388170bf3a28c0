import ArgumentParser
import CustomerKit

/// `custctl customer show EMAIL|ID`.
struct CustomerShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one customer's record.",
        discussion: """
            Example:
              custctl customer show alice@example.com --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The customer's email or numeric id.", valueName: "email-or-id"))
    var customer: String

    func run() throws {
        let reference = try CustomerReference(parsing: customer)
        let found = try global.openStore(.reads).customer(reference)
        global.output.result(found.json) {
            guard case .object(let members) = found.json else { return "" }
            let width = members.map(\.0.count).max() ?? 0
            return members.map { key, value in
                let text: String
                switch value {
                case .string(let s): text = s
                case .null: text = "-"
                default: text = value.serialized
                }
                return key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + text
            }.joined(separator: "\n")
        }
    }
}
