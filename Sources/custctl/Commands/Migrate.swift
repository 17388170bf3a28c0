import ArgumentParser
import CustomerKit

/// `custctl migrate`: apply pending migrations; `status` and `rollback` as subcommands.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply, inspect or roll back schema migrations.",
        subcommands: [MigrateApply.self, MigrateStatus.self, MigrateRollback.self],
        defaultSubcommand: MigrateApply.self
    )
}

/// `custctl migrate [--dry-run] [--no-backup] [--mark ENV]`.
struct MigrateApply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply all pending migrations, each in its own transaction (the default).",
        discussion: """
            Before changing a database that holds data, a backup copy is written next to it \
            (PATH.backup-<UTC time>, mode 0600).

            Example:
              custctl migrate --dry-run
              custctl migrate --mark staging
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print what would run and change nothing.")
    var dryRun = false

    @Flag(help: "Do not write a backup copy first.")
    var noBackup = false

    @Option(help: ArgumentHelp("Mark the database as production, staging, development or test.", valueName: "env"))
    var mark: DatabaseEnvironment?

    func run() throws {
        let output = global.output
        let store = try global.openStoreForMaintenance()
        let run = try store.migrate(dryRun: dryRun, backup: !noBackup, mark: mark) { name in
            output.note("applied \(name)")
        }
        output.result(run.json) {
            var lines: [String] = []
            if let backup = run.backupPath { lines.append("backup written to \(backup)") }
            if run.dryRun {
                lines.append(run.applied.isEmpty ? "nothing to apply" : "would apply:")
                lines += run.applied.map { "  \($0)" }
            } else if run.applied.isEmpty {
                lines.append("database is up to date")
            } else {
                lines.append("applied \(run.applied.count) migration(s)")
            }
            if let environment = run.environment { lines.append("environment: \(environment.rawValue)") }
            return lines.joined(separator: "\n")
        }
    }
}

extension DatabaseEnvironment: ExpressibleByArgument {}

extension MigrationRun {
    var json: JSONValue {
        .object([
            ("applied", .array(applied.map(JSONValue.string))),
            ("dry_run", .bool(dryRun)),
            ("backup", .optional(backupPath)),
            ("environment", .optional(environment?.rawValue)),
        ])
    }
}
