import ArgumentParser
import CustomerKit

extension MigrateCommand {
    /// `custctl migrate rollback [--steps N | --to NAME | --all]`.
    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback",
            abstract: "Revert migrations, newest first (one step unless told otherwise).",
            discussion: """
                Refused on a database marked production. A backup copy is written first unless --no-backup. \
                --all leaves no custctl table behind.

                Example:
                  custctl migrate rollback --to 003_create_forge_accounts
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "Revert the newest N migrations.")
        var steps: Int?

        @Option(help: ArgumentHelp("Revert every migration applied after NAME.", valueName: "name"))
        var to: String?

        @Flag(help: "Revert every migration and remove custctl's bookkeeping.")
        var all = false

        @Flag(help: "Print what would be reverted and change nothing.")
        var dryRun = false

        @Flag(help: "Do not write a backup copy first.")
        var noBackup = false

        @Flag(help: "Confirm without a prompt (required when standard input is not a terminal).")
        var yes = false

        func validate() throws {
            let chosen = [steps != nil, to != nil, all].filter { $0 }.count
            guard chosen <= 1 else { throw ValidationError("use only one of --steps, --to and --all") }
            if let steps, steps < 1 { throw ValidationError("--steps must be 1 or more") }
        }

        func run() throws {
            let output = global.output
            let target: RollbackTarget = all ? .all : to.map(RollbackTarget.to) ?? .steps(steps ?? 1)
            let store = try global.openStoreForMaintenance(.reads)
            if !dryRun {
                // A production refusal comes before any question; the question names what will go.
                try store.refuseProduction("roll back migrations")
                let plan = try store.rollback(target, dryRun: true)
                if !plan.reverted.isEmpty {
                    var question =
                        "roll back \(plan.reverted.count) migration(s) (\(plan.reverted.joined(separator: ", ")))"
                    if let keys = plan.legacy?.keysNotRestored, !keys.isEmpty {
                        question += "; \(keys.count) plaintext API key(s) cannot come back"
                    }
                    try Confirmation.require(question, typing: "yes", yes: yes)
                }
            }
            let run = try store.rollback(target, dryRun: dryRun, backup: !noBackup) { name in
                output.note(name)
            }
            output.result(run.json) {
                var lines: [String] = []
                if let backup = run.backupPath { lines.append("backup written to \(backup)") }
                if run.reverted.isEmpty {
                    lines.append("nothing to roll back")
                } else if run.dryRun {
                    lines.append("would revert:")
                    lines += run.reverted.map { "  \($0)" }
                } else {
                    lines.append("reverted \(run.reverted.count) migration(s)")
                }
                if let legacy = run.legacy {
                    lines.append(
                        (run.dryRun ? "would restore" : "restored")
                            + " the legacy tables \(legacy.tables.joined(separator: ", ")) (\(legacy.rows) rows)")
                    if !legacy.keysNotRestored.isEmpty {
                        lines.append(
                            "plaintext API keys cannot come back from their hashes; these hold sha256:<hex> instead:")
                        lines += legacy.keysNotRestored.map { "  \($0.table) \($0.id)" }
                    }
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}
