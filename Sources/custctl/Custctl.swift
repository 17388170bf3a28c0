import ArgumentParser
import CProcess
import CustomerKit
import Foundation

/// The custctl executable: parses, calls one core function per command, renders the result.
@main
struct Custctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custctl",
        abstract: "Administer customer accounts kept in one consolidated record (SQLite or PostgreSQL).",
        discussion: """
            Every command takes --database PATH or a postgresql:// URI (or $CUSTCTL_DATABASE; default \
            ./custctl.db), --schema NAME (PostgreSQL), --json, --quiet, --verbose and --busy-timeout SECONDS, \
            before or after the subcommand name.

            Example:
              custctl migrate status --database dev.db
            """,
        version: custctlVersion,
        subcommands: [
            MigrateCommand.self, Seed.self, Register.self, Login.self, GrantStaff.self, CustomerCommand.self,
            Provision.self, CreditsCommand.self, BillingCommand.self, APIKeyCommand.self, ForgeCommand.self,
            EmailsCommand.self,
            AuditCommand.self, ThrottleCommand.self, PasswordCommand.self, Doctor.self, Copy.self,
        ]
    )

    static func main() {
        // Before any secret is read: no core file, not dumpable, one line on a crash (SPEC 5.8). Both
        // calls only lower privileges, so a refusal (never seen on Linux) leaves the process as it was.
        _ = custctl_harden_process()
        let arguments = GlobalOptions.hoist(Array(CommandLine.arguments.dropFirst()))
        let beforeSeparator = arguments.prefix { $0 != "--" }
        if beforeSeparator.contains("--version") {
            print(custctlVersion)
            Foundation.exit(0)
        }
        let json = beforeSeparator.contains("--json")
        do {
            if let hot = HotCommand(arguments) {
                try Settings.check()
                try hot.run()
                Foundation.exit(0)
            }
            if let unknown = UnknownCommand.find(in: arguments, root: Custctl.self) {
                throw ValidationError(unknown.description)
            }
            var command = try parseAsRoot(arguments)
            try Settings.check()
            try command.run()
            Foundation.exit(0)
        } catch {
            Foundation.exit(ExitStatus.report(error, json: json))
        }
    }
}
