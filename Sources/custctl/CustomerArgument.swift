import ArgumentParser
import CustomerKit

/// The customer a command acts on: an email or a numeric id, declared once for every command.
struct CustomerArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The customer's email or numeric id.", valueName: "email-or-id"))
    var customer: String

    /// The reference the core takes; an id is all digits, anything else must be a valid email (65).
    var reference: CustomerReference {
        get throws { try CustomerReference(parsing: customer) }
    }
}
