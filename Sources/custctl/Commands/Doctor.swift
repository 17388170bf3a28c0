import ArgumentParser
import CustomerKit

/// `custctl doctor`: integrity, foreign keys, ledger invariants, orphans, permissions.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the database: integrity, foreign keys, ledger invariants, orphans, file permissions.",
        discussion: """
            Exit 0 when everything is in order, 1 with the list of problems otherwise.

            Example:
              custctl doctor --json
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let report = try global.openStoreForMaintenance(.reads).diagnose()
        global.output.result(
            .object([
                ("ok", .bool(report.healthy)),
                ("checks", .array(report.checks.map(JSONValue.string))),
                (
                    "problems",
                    .array(
                        report.problems.map { .object([("check", .string($0.check)), ("detail", .string($0.detail))]) })
                ),
            ])
        ) {
            report.healthy
                ? "all \(report.checks.count) checks passed: " + report.checks.joined(separator: ", ")
                : report.problems.map { "\($0.check): \($0.detail)" }.joined(separator: "\n")
        }
        if !report.healthy { throw DoctorFailed(count: report.problems.count) }
    }
}

/// The database has problems (exit 1); the report above lists them.
struct DoctorFailed: DomainError {
    let count: Int
    var kind: FailureKind { .other }
    var code: String { "doctor_found_problems" }
    var description: String { "doctor found \(count) problem(s)" }
}
