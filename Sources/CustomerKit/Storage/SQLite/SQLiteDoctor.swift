import Foundation
import GRDB

extension SQLiteBackend {
    /// Checks the file, the schema and the invariants SQLite cannot enforce by itself.
    func diagnose() throws -> DoctorReport {
        var doctor = DoctorChecks()
        if let path { doctor.run("file_permissions") { Self.openModes(path) } }
        let expected = try SQLiteBackend.schemaObjects(of: SQLiteBackend.inMemory())
        try read { db in
            try doctor.run("integrity") {
                try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            }
            try doctor.run("foreign_keys") {
                try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row in
                    "\(row[0] as String? ?? "?") row \(row[1] as Int64? ?? 0) points to a missing \(row[2] as String? ?? "?") row"
                }
            }
            let status = try SQLiteBackend.status(db)
            doctor.run("schema") { status.problems }
            guard status.layout == .custctl, status.pending.isEmpty else { return }
            try doctor.run("schema_objects") {
                SQLiteBackend.schemaDifferences(expected: expected, found: try SQLiteBackend.schemaObjects(db))
            }
            for query in Self.invariantChecks {
                try doctor.run(query.name) { try Row.fetchAll(db, sql: query.sql).compactMap(query.problem) }
            }
        }
        return doctor.report
    }

    /// The database file and its -wal and -shm must not be open to others.
    private static func openModes(_ path: String) -> [String] {
        [path, path + "-wal", path + "-shm"].compactMap { file in
            var info = stat()
            guard stat(file, &info) == 0 else { return nil }
            let mode = info.st_mode & 0o777
            return mode & 0o077 == 0 ? nil : "\(file) has mode \(String(mode, radix: 8)); run chmod 600 on it"
        }
    }

    /// An invariant checked by one query: every row it returns is a problem (or, mapped to nil, none).
    private struct InvariantCheck: Sendable {
        let name: String
        let sql: String
        let problem: @Sendable (Row) -> String?
    }

    /// The invariants of the ledger, the lots and provisioning that SQL constraints cannot state, in the
    /// order doctor reports them.
    private static let invariantChecks: [InvariantCheck] = [
        InvariantCheck(
            // Every grant and adjustment was written with an audit entry in its transaction that names
            // it (`entry_id`). Entries written before custctl named them are matched by customer and
            // instant, but only to audit entries that name no entry.
            name: "ledger_audit",
            sql: """
                SELECT t.id, t.customer_id, t.kind, t.amount FROM credit_transactions t
                WHERE t.kind IN ('grant', 'adjust') AND NOT EXISTS (
                  SELECT 1 FROM audit_log a WHERE a.customer_id = t.customer_id
                    AND (json_extract(a.details, '$.entry_id') = t.id
                      OR (json_extract(a.details, '$.entry_id') IS NULL AND a.created_at = t.created_at
                        AND a.action IN ('credits.grant', 'customer.provision', 'billing.subscribe',
                          'billing.pro_payment'))))
                ORDER BY t.id
                """,
            problem: { row in
                "ledger \(row[2] as String) \(row[0] as Int64) of \(row[3] as Int64) credit(s) for customer "
                    + "\(row[1] as Int64) has no audit entry: it was not written by custctl"
            }),
        InvariantCheck(
            name: "ledger_chain",
            sql: """
                SELECT id, customer_id FROM (
                  SELECT id, customer_id, balance_after, amount,
                    lag(balance_after, 1, 0) OVER (PARTITION BY customer_id ORDER BY id) AS previous
                  FROM credit_transactions)
                WHERE balance_after <> previous + amount
                """,
            problem: {
                "ledger entry \($0[0] as Int64) of customer \($0[1] as Int64) does not follow the previous balance"
            }
        ),
        InvariantCheck(
            name: "ledger_non_negative", sql: "SELECT id FROM credit_transactions WHERE balance_after < 0",
            problem: { "ledger entry \($0[0] as Int64) has a negative balance" }),
        InvariantCheck(
            name: "ledger_idempotency",
            sql: """
                SELECT customer_id, idempotency_key, count(*) FROM credit_transactions
                WHERE idempotency_key IS NOT NULL GROUP BY customer_id, idempotency_key HAVING count(*) > 1
                """,
            problem: {
                "idempotency key '\($0[1] as String)' of customer \($0[0] as Int64) applies \($0[2] as Int64) times"
            }),
        InvariantCheck(
            name: "ledger_lots",
            sql: """
                SELECT c.id, COALESCE((SELECT balance_after FROM credit_transactions t WHERE t.customer_id = c.id
                    ORDER BY t.id DESC LIMIT 1), 0) AS balance,
                  COALESCE((SELECT SUM(remaining) FROM credit_lots l WHERE l.customer_id = c.id), 0) AS lots
                FROM customers c WHERE balance <> lots
                """,
            problem: { "customer \($0[0] as Int64): balance \($0[1] as Int64) but its grants hold \($0[2] as Int64)" }),
        InvariantCheck(
            name: "lots_match_grants",
            sql: """
                SELECT l.grant_id, l.customer_id FROM credit_lots l
                LEFT JOIN credit_transactions t ON t.id = l.grant_id
                WHERE t.id IS NULL OR t.customer_id <> l.customer_id OR t.amount <= 0
                  OR t.kind NOT IN ('grant', 'adjust') OR l.remaining < 0 OR l.remaining > t.amount
                """,
            problem: {
                "credit lot \($0[0] as Int64) of customer \($0[1] as Int64) does not match a grant it came from"
            }),
        InvariantCheck(
            name: "orphans",
            sql: ["api_keys", "forge_accounts", "credit_transactions", "credit_lots", "scheduled_emails"].map {
                "SELECT '\($0)', count(*) FROM \($0) t WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = t.customer_id)"
            }.joined(separator: " UNION ALL "),
            problem: { row in
                let count: Int64 = row[1]
                return count > 0 ? "\(count) \(row[0] as String) row(s) without a customer" : nil
            }),
        InvariantCheck(
            name: "provisioning",
            sql: """
                SELECT a.customer_id,
                  EXISTS (SELECT 1 FROM api_keys k WHERE k.customer_id = a.customer_id) AS has_key,
                  COALESCE(json_extract(a.details, '$.trial_credits'), 5) = 0
                    OR EXISTS (SELECT 1 FROM credit_transactions t WHERE t.customer_id = a.customer_id
                      AND t.source = 'trial_signup') AS has_grant
                FROM audit_log a JOIN customers c ON c.id = a.customer_id
                WHERE a.action = 'customer.provision' AND (NOT has_key OR NOT has_grant)
                """,
            problem: { row in
                let id: Int64 = row[0]
                return (row[1] as Bool)
                    ? "customer \(id) was provisioned without its trial grant"
                    : "customer \(id) was provisioned without an API key"
            }),
    ]
}

extension SQLiteBackend {
    /// One schema object as SQLite keeps it.
    struct SchemaObject: Equatable {
        let type: String
        let table: String
        let sql: String
    }

    /// custctl's tables, indexes and triggers (the legacy archive and SQLite's own excepted), by name,
    /// with their SQL in one spacing.
    static func schemaObjects(_ db: Database) throws -> [String: SchemaObject] {
        var objects: [String: SchemaObject] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT type, name, tbl_name, sql FROM sqlite_master
                WHERE type IN ('table', 'index', 'trigger') AND sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                  AND tbl_name NOT LIKE 'legacy\\_%' ESCAPE '\\'
                """)
        {
            let sql = (row["sql"] as String).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            objects[row["name"]] = SchemaObject(type: row["type"], table: row["tbl_name"], sql: sql)
        }
        return objects
    }

    /// The schema objects of a store (the reference: a new in-memory database with every migration).
    static func schemaObjects(of store: SQLiteBackend) throws -> [String: SchemaObject] {
        try store.read { try schemaObjects($0) }
    }

    /// What differs between the schema the migrations make and the one found: a dropped or changed
    /// trigger, index or table, or an extra trigger or index on custctl's tables (SPEC 5.13).
    static func schemaDifferences(expected: [String: SchemaObject], found: [String: SchemaObject]) -> [String] {
        var problems: [String] = []
        for (name, object) in expected.sorted(by: { $0.key < $1.key }) {
            guard let there = found[name] else {
                problems.append("\(object.type) \(name) on \(object.table) is missing; the migrations made it")
                continue
            }
            if there.sql != object.sql {
                problems.append("\(object.type) \(name) on \(object.table) differs from what the migrations made")
            }
        }
        let tables = Set(expected.values.filter { $0.type == "table" }.map(\.table))
        for (name, object) in found.sorted(by: { $0.key < $1.key })
        where expected[name] == nil && object.type != "table" && tables.contains(object.table) {
            problems.append("\(object.type) \(name) on \(object.table) was not made by custctl's migrations")
        }
        return problems
    }
}
