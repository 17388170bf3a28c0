import Foundation
import GRDB

/// The steps of `custctl copy` on SQLite (`CopySteps`): instants are text (`Timestamp.string`), flags
/// 0/1, JSON text as written.
extension SQLiteBackend {
    func copyTableNames() throws -> [String] {
        try read { try SQLiteBackend.tableNames($0) }
    }

    /// A table as SQLite declares it: columns whose declared type names an integer are integers, the
    /// rest text (the legacy archive declares only INTEGER and TEXT).
    func describeForCopy(_ table: String) throws -> CopyTable {
        try read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
            let columns = rows.map { row -> (String, CopyColumnKind) in
                let type: String = row["type"]
                return (row["name"], type.uppercased().contains("INT") ? .integer : .text)
            }
            let keys = rows.filter { (($0["pk"] as Int?) ?? 0) > 0 }
            return CopyTable(table, key: keys.count == 1 ? keys[0]["name"] : nil, identity: false, columns)
        }
    }

    func readRows(of table: CopyTable, batchSize: Int, _ body: ([[CopyValue]]) throws -> Void) throws {
        let columns = table.columns.map(\.name.quotedDatabaseIdentifier).joined(separator: ", ")
        let order = table.key?.quotedDatabaseIdentifier ?? "rowid"
        try read { db in
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT \(columns) FROM \(table.name.quotedDatabaseIdentifier) ORDER BY \(order)")
            var batch: [[CopyValue]] = []
            batch.reserveCapacity(batchSize)
            while let row = try cursor.next() {
                batch.append(
                    try table.columns.enumerated().map { index, column in
                        try Self.copyValue(row[index] as DatabaseValue, column, table: table.name)
                    })
                if batch.count == batchSize {
                    try body(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { try body(batch) }
        }
    }

    /// A stored value as its column's kind; a value of another kind is `unreadableValue`.
    static func copyValue(_ value: DatabaseValue, _ column: CopyColumn, table: String) throws -> CopyValue {
        let unreadable = CopyError.unreadableValue(table: table, column: column.name, value: value.description)
        switch (value.storage, column.kind) {
        case (.null, _): return .null
        case (.int64(let number), .integer): return .integer(number)
        case (.int64(let number), .boolean) where number == 0 || number == 1: return .boolean(number == 1)
        case (.int64(let number), .text): return .text(String(number))
        case (.double(let number), .text): return .text(String(number))
        case (.string(let text), .text), (.string(let text), .json): return .text(text)
        case (.string(let text), .instant):
            guard let date = StoredValue.instant(text) else { throw unreadable }
            return .instant(date)
        default: throw unreadable
        }
    }

    func countRows(of table: String) throws -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.quotedDatabaseIdentifier)") ?? 0
        }
    }

    func countLedgerChainBreaks() throws -> Int {
        try read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM (
                      SELECT balance_after, amount,
                        lag(balance_after, 1, 0) OVER (PARTITION BY customer_id ORDER BY id) AS previous
                      FROM credit_transactions)
                    WHERE balance_after <> previous + amount
                    """) ?? 0
        }
    }

    func prepareForCopy() throws { try enableWAL() }

    func createSchemaForCopy() throws { try createSchema() }

    func createTableForCopy(_ table: CopyTable) throws {
        let columns = table.columns.map { column in
            let type = column.kind == .integer || column.kind == .boolean ? "INTEGER" : "TEXT"
            return column.name.quotedDatabaseIdentifier + " " + type + (column.name == table.key ? " PRIMARY KEY" : "")
        }
        try write { db in
            try db.execute(
                sql: "CREATE TABLE \(table.name.quotedDatabaseIdentifier) (\(columns.joined(separator: ", ")))")
        }
    }

    func insertRows(_ rows: [[CopyValue]], into table: CopyTable) throws {
        let columns = table.columns.map(\.name.quotedDatabaseIdentifier).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
        let sql = "INSERT INTO \(table.name.quotedDatabaseIdentifier) (\(columns)) VALUES (\(placeholders))"
        try write { db in
            let statement = try db.cachedStatement(sql: sql)
            for row in rows {
                try statement.execute(arguments: StatementArguments(row.map(Self.databaseValue)))
            }
        }
    }

    private static func databaseValue(_ value: CopyValue) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .integer(let number): return number.databaseValue
        case .text(let text): return text.databaseValue
        case .boolean(let flag): return Int64(flag ? 1 : 0).databaseValue
        case .instant(let date): return Timestamp.string(from: date).databaseValue
        }
    }

    /// Nothing to do: a new row's id is one more than the largest id in its table.
    func advanceIdentities(_ tables: [CopyTable]) throws {}

    func setEnvironmentForCopy(_ environment: DatabaseEnvironment) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE custctl_settings SET value = ? WHERE key = 'environment'",
                arguments: [environment.rawValue])
        }
    }
}
