import ArgumentParser
import CustomerKit

extension PasswordCommand {
    /// `custctl password set EMAIL|ID [--password-stdin]`.
    struct SetPassword: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set or replace a customer's password (policy, bcrypt); clears its failed-login throttle.",
            discussion: """
                On a terminal the password is asked twice, and asked again (up to three times) after a mismatch \
                or a policy failure. Exit 0 when set, 65 for the policy, 67 when there is no such customer.

                Example:
                  printf '%s\\n' "$NEW_PASSWORD" | custctl password set ada@example.com --password-stdin
                """
        )

        @OptionGroup var global: GlobalOptions

        @OptionGroup var customer: CustomerArgument

        @Flag(help: "Read the password from the first line of standard input.")
        var passwordStdin = false

        @OptionGroup var actor: ActorOption

        func run() throws {
            let reference = try customer.reference
            let authenticator = try Authenticator(store: global.openStore(), hasher: Settings.hasher())
            // The customer first: no password is asked for an account that does not exist.
            let target = try authenticator.passwordTarget(reference)
            let password = try PasswordInput.read(fromStandardInput: passwordStdin, confirm: true) {
                try authenticator.checkPolicy($0, for: target)
            }
            let updated = try authenticator.setPassword(.id(target.id), password: password, actor: actor.resolved)
            global.output.result(.object([("customer_id", .int(updated.id)), ("email", .string(updated.email))])) {
                "password set for customer \(updated.id) <\(updated.email)>"
            }
        }
    }
}
