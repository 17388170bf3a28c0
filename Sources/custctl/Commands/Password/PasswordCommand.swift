import ArgumentParser
import CustomerKit

/// `custctl password check`.
struct PasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "password",
        abstract: "Set a customer's password, or check one against the policy.",
        subcommands: [PasswordCommand.SetPassword.self, PasswordCommand.Check.self]
    )
}
