import ArgumentParser
import CustomerKit
import Foundation

/// `custctl migrate`: apply pending migrations (the default); `status` and `rollback` as subcommands.
struct MigrateCommand: ParsableCommand {
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
        subcommands: [MigrateCommand.Apply.self, MigrateCommand.Status.self, MigrateCommand.Rollback.self],
        defaultSubcommand: MigrateCommand.Apply.self
    )
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

extension RollbackRun {
    var json: JSONValue {
        .object(
            [
                ("reverted", .array(reverted.map(JSONValue.string))),
                // What cannot come back (plaintext legacy keys), the same on a dry run and a real one.
                ("unrecoverable", .array((legacy?.keysNotRestored ?? []).map(\.json))),
                ("dry_run", .bool(dryRun)),
                ("backup", .optional(backupPath)),
            ]
                + (legacy.map { legacy in
                    [
                        (
                            "legacy",
                            .object([
                                ("tables", .array(legacy.tables.map(JSONValue.string))),
                                ("rows", .int(Int64(legacy.rows))),
                                ("keys_not_restored", .array(legacy.keysNotRestored.map(\.json))),
                            ])
                        )
                    ]
                } ?? []))
    }
}

extension MigrationStatus {
    var json: JSONValue {
        .object([
            ("applied", .array(applied.map(JSONValue.string))),
            ("pending", .array(pending.map(JSONValue.string))),
            ("unknown", .array(unknown.map(JSONValue.string))),
            ("environment", .optional(environment?.rawValue)),
            ("layout", .string(layout.rawValue)),
        ])
    }
}
