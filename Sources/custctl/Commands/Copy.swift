import ArgumentParser
import CustomerKit
import Foundation

/// `custctl copy --to TARGET`: the whole database into an empty database of either backend (SPEC 8).
struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy the whole database into an empty SQLite file or PostgreSQL database, in one transaction.",
        discussion: """
            Copies every custctl table with its ids, the ledger, the audit log, the environment mark and any \
            legacy archive from --database into --to, which must be empty (exit 73 otherwise). Row counts and \
            the ledger chain are compared on both sides before the target's transaction commits; a difference \
            (exit 1) or any failure leaves the target as it was. A missing target file is created (mode 0600).

            Examples:
              custctl copy --to postgresql:///customers --to-schema core
              custctl copy --database postgresql:///customers --to back.db --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The target: an SQLite file path, or a postgresql:// URI.", valueName: "path-or-uri"))
    var to: String

    @Option(
        name: .customLong("to-schema"),
        help: ArgumentHelp("The target's PostgreSQL schema (default: the --schema value).", valueName: "name"))
    var toSchema: String?

    @OptionGroup var actor: ActorOption

    func run() throws {
        let output = global.output
        let actor = try actor.resolved
        let targetOptions = try self.targetOptions()
        let source = try global.openStore(.reads)
        let target = try Store.openForMaintenance(path: to, options: targetOptions, creating: true)
        output.debug("target: \(target.path ?? to)")
        let report = try source.copy(to: target, actor: actor) { output.note($0) }
        output.result(report.json) { Self.human(report) }
    }

    /// The target's store options: the global ones with `--to-schema`. A password in a `--to` URI is
    /// refused like one in `--database`.
    private func targetOptions() throws -> StoreOptions {
        var options = try global.settings.storeOptions()
        if let toSchema { options.schema = toSchema }
        if PostgreSQLTarget.isURI(to), try PostgreSQLTarget(uri: to, schema: options.schema).hasPassword {
            throw ConfigurationError.passwordInOption("--to")
        }
        return options
    }

    private static func human(_ report: CopyReport) -> String {
        var rows = report.tables.map { [$0.table, String($0.sourceRows), String($0.targetRows)] }
        rows.append(["ledger chain breaks", String(report.sourceChainBreaks), String(report.targetChainBreaks)])
        var lines = [
            "copied \(report.rowsCopied) row(s) from \(report.source) to \(report.target) "
                + "(environment: \(report.environment.rawValue))",
            Output.table(["table", "source", "target"], rows),
        ]
        if !report.skippedTables.isEmpty {
            lines.append("not copied (not custctl's tables): " + report.skippedTables.joined(separator: ", "))
        }
        lines.append(report.equal ? "counts and ledger chains match" : "counts or ledger chains differ")
        return lines.joined(separator: "\n")
    }
}
