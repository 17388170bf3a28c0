import Foundation

/// The steps of `custctl copy` on PostgreSQL (`CopySteps`): values cast to the column's kind in SQL,
/// rows read through a cursor and written with multi-row INSERTs, identities advanced at the end.
extension PostgreSQLBackend {
    /// One REPEATABLE READ, read-only transaction that every read of `body` joins (as savepoints).
    func inOneSnapshot<T>(_ body: () throws -> T) throws -> T {
        try transaction(readOnly: true) { _ in try body() }
    }

    func copyTableNames() throws -> [String] {
        try transaction(readOnly: true) { _ in try tableNames() }
    }

    /// A table as PostgreSQL declares it: integer types, boolean, timestamps and JSON keep their kind,
    /// anything else is copied as text.
    func describeForCopy(_ table: String) throws -> CopyTable {
        try transaction(readOnly: true) { _ in
            let rows = try connection.query(
                """
                SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
                  EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary
                    AND i.indnatts = 1 AND i.indkey[0] = a.attnum)
                FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                """, ["\(schema).\(Self.quote(table))"]
            ).rows
            var key: String?
            let columns = try rows.map { row -> (String, CopyColumnKind) in
                let name = try row.string(0)
                if try row.bool(2) { key = name }
                return (name, Self.copyKind(declared: try row.string(1)))
            }
            return CopyTable(table, key: key, identity: false, columns)
        }
    }

    private static func copyKind(declared type: String) -> CopyColumnKind {
        switch type {
        case "bigint", "integer", "smallint": return .integer
        case "boolean": return .boolean
        case "json", "jsonb": return .json
        case _ where type.hasPrefix("timestamp"): return .instant
        default: return .text
        }
    }

    /// The SQL type a value of `kind` is read as and written to.
    private static func copyType(_ kind: CopyColumnKind) -> String {
        switch kind {
        case .integer: return "bigint"
        case .text: return "text"
        case .boolean: return "boolean"
        case .instant: return "timestamptz"
        case .json: return "json"
        }
    }

    func readRows(of table: CopyTable, batchSize: Int, _ body: ([[CopyValue]]) throws -> Void) throws {
        // JSON is read as its text, which `json` keeps as written.
        let columns = table.columns.map {
            Self.quote($0.name) + "::" + ($0.kind == .json ? "text" : Self.copyType($0.kind))
        }.joined(separator: ", ")
        let order = table.key.map { " ORDER BY " + Self.quote($0) } ?? ""
        try transaction(readOnly: true) { _ in
            // A cursor, so a big table is never held in memory at once; closed with its savepoint on failure.
            try connection.run(
                "DECLARE custctl_copy NO SCROLL CURSOR FOR SELECT \(columns) FROM \(schema).\(Self.quote(table.name))\(order)"
            )
            while true {
                let result = try connection.query("FETCH FORWARD \(batchSize) FROM custctl_copy")
                if result.count == 0 { break }
                try body(
                    try result.rows.map { row in
                        try table.columns.enumerated().map { index, column in try Self.copyValue(row, index, column) }
                    })
            }
            try connection.run("CLOSE custctl_copy")
        }
    }

    private static func copyValue(_ row: PQRow, _ index: Int, _ column: CopyColumn) throws -> CopyValue {
        if row.isNull(index) { return .null }
        switch column.kind {
        case .integer: return .integer(try row.int64(index))
        case .text, .json: return .text(try row.string(index))
        case .boolean: return .boolean(try row.bool(index))
        case .instant: return .instant(try row.date(index))
        }
    }

    func countRows(of table: String) throws -> Int {
        try transaction(readOnly: true) { _ in
            try connection.query("SELECT count(*) FROM \(schema).\(Self.quote(table))").first?.int(0) ?? 0
        }
    }

    func countLedgerChainBreaks() throws -> Int {
        try transaction(readOnly: true) { _ in
            try connection.query(
                """
                SELECT count(*) FROM (
                  SELECT balance_after, amount,
                    lag(balance_after, 1, 0::bigint) OVER (PARTITION BY customer_id ORDER BY id) AS previous
                  FROM \(schema).credit_transactions) chain
                WHERE balance_after <> previous + amount
                """
            ).first?.int(0) ?? 0
        }
    }

    /// Nothing to do outside the transaction: the schema itself is created inside it.
    func prepareForCopy() throws {}

    func createSchemaForCopy() throws {
        try transaction(readOnly: false) { _ in try connection.run("CREATE SCHEMA IF NOT EXISTS \(schema)") }
        try createSchema()
    }

    func createTableForCopy(_ table: CopyTable) throws {
        let columns = table.columns.map {
            Self.quote($0.name) + " " + Self.copyType($0.kind) + ($0.name == table.key ? " PRIMARY KEY" : "")
        }
        try transaction(readOnly: false) { _ in
            try connection.run("CREATE TABLE \(schema).\(Self.quote(table.name)) (\(columns.joined(separator: ", ")))")
        }
    }

    /// The most parameters one statement may carry (the protocol counts them in 16 bits).
    private static let maximumParameters = 65_535

    func insertRows(_ rows: [[CopyValue]], into table: CopyTable) throws {
        let width = table.columns.count
        guard width > 0 else { return }
        let names = table.columns.map { Self.quote($0.name) }.joined(separator: ", ")
        let casts = table.columns.map { "::" + Self.copyType($0.kind) }
        let perStatement = max(1, Self.maximumParameters / width)
        try transaction(readOnly: false) { _ in
            for start in stride(from: 0, to: rows.count, by: perStatement) {
                let chunk = rows[start..<min(rows.count, start + perStatement)]
                let tuples = (0..<chunk.count).map { row in
                    "(" + (0..<width).map { "$\(row * width + $0 + 1)\(casts[$0])" }.joined(separator: ", ") + ")"
                }
                try connection.query(
                    "INSERT INTO \(schema).\(Self.quote(table.name)) (\(names)) VALUES "
                        + tuples.joined(separator: ", "),
                    chunk.flatMap { $0.map(Self.parameter) })
            }
        }
    }

    private static func parameter(_ value: CopyValue) -> (any PQParameter)? {
        switch value {
        case .null: return nil
        case .integer(let number): return number
        case .text(let text): return text
        case .boolean(let flag): return flag
        case .instant(let date): return CopyInstant.microsecondText(date)
        }
    }

    /// Sets each identity's sequence so that the next generated id follows the largest id copied (1 for
    /// an empty table).
    func advanceIdentities(_ tables: [CopyTable]) throws {
        try transaction(readOnly: false) { _ in
            for table in tables {
                guard let key = table.key else { continue }
                let name = "\(schema).\(Self.quote(table.name))"
                try connection.query(
                    """
                    SELECT setval(pg_get_serial_sequence($1, $2),
                      COALESCE((SELECT max(\(Self.quote(key))) FROM \(name)), 0) + 1, false)
                    """, [name, key])
            }
        }
    }

    func setEnvironmentForCopy(_ environment: DatabaseEnvironment) throws {
        try transaction(readOnly: false) { _ in
            try connection.query(
                "UPDATE \(schema).custctl_settings SET value = $1 WHERE key = 'environment'", [environment.rawValue])
        }
    }
}
