import Foundation

/// What `custctl copy` did: both databases' row counts per table and their ledger chains, checked after
/// the rows were written and before the target's transaction committed.
public struct CopyReport: Sendable, Equatable {
    /// One table's rows on each side.
    public struct TableCount: Sendable, Equatable {
        public let table: String
        public let sourceRows: Int
        public let targetRows: Int
    }

    /// The source database (a path, or a URI without its password).
    public let source: String
    /// The target database, named the same way.
    public let target: String
    /// Every copied table, in copy order (custctl's tables, then `legacy_*` ones).
    public let tables: [TableCount]
    /// Ledger entries that do not follow their customer's previous entry, on the source.
    public let sourceChainBreaks: Int
    /// The same on the target.
    public let targetChainBreaks: Int
    /// The environment mark, copied to the target.
    public let environment: DatabaseEnvironment
    /// Tables of the source that are neither custctl's nor a legacy archive, and were not copied.
    public let skippedTables: [String]

    /// True when every table has as many rows on both sides and neither ledger chain is broken.
    public var equal: Bool {
        tables.allSatisfy { $0.sourceRows == $0.targetRows } && sourceChainBreaks == 0 && targetChainBreaks == 0
    }

    /// The tables whose counts differ.
    public var differences: [TableCount] { tables.filter { $0.sourceRows != $0.targetRows } }

    /// The rows copied, over all tables.
    public var rowsCopied: Int { tables.reduce(0) { $0 + $1.targetRows } }
}

/// Failures of `custctl copy`.
public enum CopyError: DomainError, Equatable {
    /// The target holds rows, another application's tables, or a legacy layout.
    case targetNotEmpty(target: String, tables: [String])
    /// The source's ledger chain is broken: the target's ledger trigger would refuse it.
    case sourceLedgerBroken(breaks: Int)
    /// A stored value is not of its column's kind (an instant that is not a time, text in a number column).
    case unreadableValue(table: String, column: String, value: String)
    /// After writing, counts or ledger chains differ; the target's transaction was rolled back.
    case mismatch(CopyReport)

    public var kind: FailureKind {
        switch self {
        case .targetNotEmpty: return .conflict
        case .unreadableValue: return .invalidData
        case .sourceLedgerBroken, .mismatch: return .other
        }
    }

    public var code: String {
        switch self {
        case .targetNotEmpty: return "target_not_empty"
        case .sourceLedgerBroken: return "source_ledger_broken"
        case .unreadableValue: return "unreadable_value"
        case .mismatch: return "copy_mismatch"
        }
    }

    public var description: String {
        switch self {
        case let .targetNotEmpty(target, tables):
            let shown = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", ..." : "")
            return "the target \(target) is not empty (\(shown)); copy writes only into an empty database: "
                + "give --to a new file, an empty database or an empty --to-schema"
        case let .sourceLedgerBroken(breaks):
            return "the source's credit ledger is broken at \(breaks) entr\(breaks == 1 ? "y" : "ies"); "
                + "run 'custctl doctor' on it; nothing was copied"
        case let .unreadableValue(table, column, value):
            let shown = value.count > 40 ? String(value.prefix(40)) + "..." : value
            return "cannot copy \(table).\(column): '\(shown)' is not a value of that column's kind; "
                + "correct the source row; nothing was copied"
        case let .mismatch(report):
            var parts = report.differences.map {
                "\($0.table): \($0.sourceRows) row(s) on the source, \($0.targetRows) on the target"
            }
            if report.targetChainBreaks != report.sourceChainBreaks || report.targetChainBreaks > 0 {
                parts.append(
                    "ledger chain breaks: \(report.sourceChainBreaks) on the source, \(report.targetChainBreaks) on the target"
                )
            }
            return "the copy does not match its source (\(parts.joined(separator: "; "))); "
                + "the target was left as it was"
        }
    }

    public var details: [(String, JSONValue)] {
        switch self {
        case let .targetNotEmpty(_, tables):
            return [("tables", .array(tables.map(JSONValue.string)))]
        case let .sourceLedgerBroken(breaks):
            return [("breaks", .int(Int64(breaks)))]
        case let .mismatch(report):
            return [("report", report.json)]
        default:
            return []
        }
    }
}

extension CopyReport {
    /// The report as `custctl copy --json` prints it (keys in docs/postgresql.md).
    public var json: JSONValue {
        .object([
            ("source", .string(source)),
            ("target", .string(target)),
            (
                "tables",
                .array(
                    tables.map {
                        .object([
                            ("table", .string($0.table)), ("source_rows", .int(Int64($0.sourceRows))),
                            ("target_rows", .int(Int64($0.targetRows))),
                        ])
                    })
            ),
            (
                "ledger_chain_breaks",
                .object([("source", .int(Int64(sourceChainBreaks))), ("target", .int(Int64(targetChainBreaks)))])
            ),
            ("environment", .string(environment.rawValue)),
            ("skipped_tables", .array(skippedTables.map(JSONValue.string))),
            ("rows_copied", .int(Int64(rowsCopied))),
            ("equal", .bool(equal)),
        ])
    }
}
