import ArgumentParser
import CustomerKit

extension PasswordCommand {
    /// `custctl password check [--email E] [--name N]`: the verdict, nothing stored.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract:
                "Check a password (first line of standard input, or a prompt) against the policy; stores nothing.",
            discussion: """
                Exit 0 when it passes, 65 with every failing rule when it does not.

                Example:
                  printf '%s\\n' 'Password123!' | custctl password check --json
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "The account's email (its name part may not appear in the password).")
        var email: String?

        @Option(help: "The account's name (it may not appear in the password).")
        var name: String?

        func run() throws {
            guard let password = try PasswordInput.readSecret(prompt: "Password: ") else {
                throw PasswordInputError.emptyStandardInput
            }
            let address = try email.map(EmailAddress.init)
            try PasswordPolicy().check(password, email: address, name: name)
            global.output.result(.object([("ok", .bool(true)), ("violations", .array([]))])) {
                "password passes the policy"
            }
        }
    }
}
