import ArgumentParser
import CustomerKit

/// `custctl register --email E --name N [--company C] [--type T] [--password-stdin]`.
struct Register: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Create a customer who can log in with a password.",
        discussion: """
            The password comes from a no-echo prompt (asked twice) or, with --password-stdin, from the first \
            line of standard input. It must pass the password policy (see 'custctl password check').

            Example:
              printf '%s\\n' "$PASSWORD" | custctl register --email ada@example.com --name "Ada Lovelace" --password-stdin
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The customer's email address.")
    var email: String

    @Option(help: "The customer's name.")
    var name: String

    @Option(help: "The company name.")
    var company: String?

    @Option(help: ArgumentHelp("trial, paid, enterprise or internal.", valueName: "type"))
    var type: CustomerType = .trial

    @Flag(help: "Read the password from the first line of standard input.")
    var passwordStdin = false

    @OptionGroup var actor: ActorOption

    func run() throws {
        let address = try EmailAddress(email)
        let password = try PasswordInput.read(fromStandardInput: passwordStdin, confirm: true) {
            try PasswordPolicy().check($0, email: address, name: name)
        }
        let authenticator = try Authenticator(
            store: global.openStore(), hasher: Settings.hasher(), throttle: Settings.throttle())
        let customer = try authenticator.register(
            Registration(email: email, name: name, companyName: company, customerType: type, password: password),
            actor: actor.resolved)
        global.output.result(.object([("customer_id", .int(customer.id)), ("email", .string(customer.email))])) {
            "registered customer \(customer.id) <\(customer.email)>"
        }
    }
}

extension CustomerType: ExpressibleByArgument {}
extension AdminLevel: ExpressibleByArgument {}
