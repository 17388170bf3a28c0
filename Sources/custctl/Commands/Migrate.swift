import ArgumentParser
import Foundation
import CustomerKit

/// `custctl migrate`: apply pending migrations (the default); `status` and `rollback` as subcommands.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations (each in its own transaction); inspect or roll them back.",
        // The default subcommand's options, so that `custctl migrate --help` shows them: a parent
        // command cannot declare them itself, or it would take `--dry-run` from `migrate rollback`.
        discussion: """
            With no subcommand (or 'apply'), migrate applies every pending migration; it takes \
            [--dry-run] [--no-backup] [--mark ENV] [--actor NAME]. Before changing a database that holds data it writes a backup copy next to it \
            (PATH.backup-<UTC time>, mode 0600; the newest three are kept). A legacy database is consolidated \
            in one transaction.

              --dry-run      print what would run and change nothing
              --no-backup    do not write a backup copy first
              --mark ENV     mark the database production, staging, development or test (audited)

            Example:
              custctl migrate --dry-run
              custctl migrate --mark staging
            """,
        subcommands: [MigrateApply.self, MigrateStatus.self, MigrateRollback.self],
        defaultSubcommand: MigrateApply.self
    )
}

/// `custctl migrate [apply] [--dry-run] [--no-backup] [--mark ENV]`.
struct MigrateApply: ParsableCommand {
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
            dryRun && access(global.databasePath(), F_OK) != 0
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

extension MigrateApply {
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

extension DatabaseEnvironment: ExpressibleByArgument {}

extension MigrationRun {
    var json: JSONValue {
        .object(
            [
                ("applied", .array(applied.map(JSONValue.string))),
                ("dry_run", .bool(dryRun)),
                ("backup", .optional(backupPath)),
                ("environment", .optional(environment?.rawValue)),
            ]
                + (consolidation.map {
                    [("consolidation", $0.json), ("backup_holds_legacy_secrets", .bool(backupHoldsLegacySecrets))]
                } ?? []))
    }

    /// A consolidation ran after a backup of the legacy file, so that copy still holds plaintext keys.
    var backupHoldsLegacySecrets: Bool { consolidation != nil && backupPath != nil && !dryRun }
}

extension ConsolidationIssue {
    var json: JSONValue {
        .object([("table", .string(table)), ("id", .int(id)), ("reason", .string(reason))])
    }
}

extension ConsolidationReport {
    var json: JSONValue {
        .object([
            ("counts", .object(counts.map { ($0.0, .int(Int64($0.1))) })),
            ("conflicts", .array(conflicts.map(\.json))),
            ("archived_columns", .array(archivedColumns.map(JSONValue.string))),
        ])
    }

    var humanLines: [String] {
        var lines = [dryRun ? "legacy consolidation (dry run, nothing changed):" : "legacy consolidation:"]
        lines += counts.map { "  \($0.0.replacingOccurrences(of: "_", with: " ")): \($0.1)" }
        if !conflicts.isEmpty {
            lines.append("conflicts and rows not kept (all archived in legacy_archive):")
            lines += conflicts.map { "  \($0.table) \($0.id): \($0.reason)" }
        }
        lines.append("values kept only in the archive: " + archivedColumns.joined(separator: ", "))
        if !dryRun { lines.append("the database is now marked production") }
        return lines
    }
}
