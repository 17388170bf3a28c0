import ArgumentParser
import CustomerKit
import Foundation

extension MigrateCommand {
    /// `custctl migrate [apply] [--dry-run] [--no-backup] [--mark ENV]`.
    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Apply all pending migrations, each in its own transaction (the default).",
            discussion: """
                Example:
                  custctl migrate --dry-run
                """
        )

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print what would run and change nothing.")
        var dryRun = false

        @Flag(help: "Do not write a backup copy first.")
        var noBackup = false

        @Option(help: ArgumentHelp("Mark the database as production, staging, development or test.", valueName: "env"))
        var mark: DatabaseEnvironment?

        @OptionGroup var actor: ActorOption

        func run() throws {
            let output = global.output
            // A dry run changes nothing, not even by creating the file it would migrate.
            let run =
                dryRun && !PostgreSQLTarget.isURI(global.databasePath()) && access(global.databasePath(), F_OK) != 0
                ? MigrationRun.newDatabase
                : try migrate(output)
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
                if let report = run.consolidation { lines += report.humanLines }
                if run.backupHoldsLegacySecrets, let backup = run.backupPath {
                    lines.append(
                        "warning: the backup \(backup) is the legacy database as it was and still holds its plaintext "
                            + "API keys; delete it ('shred -u \(backup)') once the consolidation is verified")
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}

extension MigrateCommand.Apply {
    private func migrate(_ output: Output) throws -> MigrationRun {
        let store = try global.openStoreForMaintenance()
        if store.isOpenToOthers {
            output.note(
                "warning: \(global.databasePath()) can be read by other users; run 'chmod 600 \(global.databasePath())'"
            )
        }
        return try store.migrate(dryRun: dryRun, backup: !noBackup, mark: mark, actor: actor.resolved) { name in
            output.note(name)
        }
    }
}
