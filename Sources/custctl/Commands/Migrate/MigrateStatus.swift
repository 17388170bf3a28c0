import ArgumentParser
import CustomerKit

extension MigrateCommand {
    /// `custctl migrate status [--check]`.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "List applied and pending migrations and the environment mark.",
            discussion: """
                Example:
                  custctl migrate status --check   # exit 78 when anything is pending (CI gate)
                """
        )

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Exit 78 when any migration is pending or the layout is legacy or newer.")
        var check = false

        func run() throws {
            let store = try global.openStoreForMaintenance(.reads)
            let status = try store.migrationStatus()
            global.output.result(status.json) {
                var lines = [
                    "layout: \(status.layout.rawValue)", "environment: \(status.environment?.rawValue ?? "unmarked")",
                ]
                lines += status.applied.map { "applied  \($0)" }
                lines += status.pending.map { "pending  \($0)" }
                lines += status.unknown.map { "unknown  \($0) (applied by a newer custctl)" }
                return lines.joined(separator: "\n")
            }
            guard check else { return }
            if status.layout == .legacy { throw StoreError.legacyLayout }
            if !status.unknown.isEmpty { throw StoreError.newerSchema(status.unknown) }
            if !status.pending.isEmpty { throw StoreError.migrationsPending(status.pending) }
        }
    }
}
