import ArgumentParser
import CustomerKit

/// `custctl login --email E [--password-stdin]`.
struct Login: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check a customer's password (throttled per email).",
        discussion: """
            Exit 0 on success, 77 for any authentication failure (one message for every reason), 75 when \
            throttled (JSON error 'throttled' with retry_after in seconds).

            Example:
              printf '%s\\n' "$PASSWORD" | custctl login --email ada@example.com --password-stdin --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The customer's email address.")
    var email: String

    @Flag(help: "Read the password from the first line of standard input.")
    var passwordStdin = false

    func run() throws {
        try Self.run(email: email, passwordStdin: passwordStdin, global.settings)
    }

    /// The command itself, also reached by the fast path (`HotCommand`).
    static func run(email: String, passwordStdin: Bool, _ global: GlobalSettings) throws {
        let password = try PasswordInput.read(fromStandardInput: passwordStdin, confirm: false)
        let authenticator = try Authenticator(
            store: global.openStore(.reads), hasher: Settings.hasher(), throttle: Settings.throttle())
        let customer = try authenticator.login(email: email, password: password)
        global.output.result(
            .object([
                ("customer_id", .int(customer.id)),
                ("email", .string(customer.email)),
                ("is_staff", .bool(customer.isStaff)),
                ("admin_level", .optional(customer.adminLevel?.rawValue)),
            ])
        ) {
            "logged in as \(customer.email) (customer \(customer.id)\(customer.adminLevel.map { ", staff: \($0.rawValue)" } ?? ""))"
        }
    }
}
