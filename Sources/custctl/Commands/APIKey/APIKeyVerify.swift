import ArgumentParser
import CustomerKit
import Foundation

extension APIKeyCommand {
    /// `custctl apikey verify` (key on standard input).
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check an API key read from standard input: exit 0 when valid, 77 otherwise.",
            discussion: """
                Example:
                  printf '%s\\n' "$KEY" | custctl apikey verify --json
                """
        )

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let presented = try PasswordInput.readSecret(prompt: "API key: ") ?? ""
            let verified = try APIKeys(store: global.openStore(.reads)).verify(presented)
            guard case .object(let members) = verified.key.json else { return }
            global.output.result(
                .object([("valid", .bool(true)), ("email", .string(verified.customerEmail))] + members)
            ) {
                "valid: key \(verified.key.id) (\(verified.key.prefix)) of \(verified.customerEmail)"
            }
        }
    }
}
