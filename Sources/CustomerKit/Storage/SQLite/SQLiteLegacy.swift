import Foundation
import GRDB

extension SQLiteBackend {
    /// SQL functions the consolidation runs set-based: SPEC 5.4 email normalisation and SHA-256 hex.
    static func addLegacyFunctions(_ db: Database) {
        db.add(
            function: DatabaseFunction("custctl_normalize_email", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).map(EmailAddress.normalize)
            })
        db.add(
            function: DatabaseFunction("custctl_sha256", argumentCount: 1, pure: true) { values in
                guard let text = String.fromDatabaseValue(values[0]) else { return nil }
                return APIKeyFormat.hash(text)
            })
    }

    /// Consolidates a legacy database in ONE transaction: either it is fully consolidated (and
    /// marked production) or untouched. `dryRun` does all of it and rolls back. Freed pages are
    /// zeroed (secure_delete), so plaintext API keys do not survive in the file or its WAL.
    func consolidateLegacy(dryRun: Bool, progress: (String) -> Void) throws -> ConsolidationReport {
        let stamp = Timestamp.string(from: now)
        return try mapErrors {
            try writer.writeWithoutTransaction { db in
                try db.execute(
                    sql: "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON; PRAGMA secure_delete = ON")
                defer { try? db.execute(sql: "PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF") }
                SQLiteBackend.addLegacyFunctions(db)
                var report: ConsolidationReport?
                try db.inTransaction(.immediate) {
                    report = try SQLiteBackend.consolidate(db, stamp: stamp, dryRun: dryRun, progress: progress)
                    return dryRun ? .rollback : .commit
                }
                guard let report else { throw InvariantError("the consolidation produced no report") }
                if !dryRun { try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
                return report
            }
        }
    }

    static func tableColumns(_ db: Database, _ table: String) throws -> [String] {
        try Row.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [table]).map {
            $0["name"]
        }
    }

    private static func consolidate(_ db: Database, stamp: String, dryRun: Bool, progress: (String) -> Void) throws
        -> ConsolidationReport
    {
        try withoutActuallyEscaping(progress) { progress in
            var consolidation = try SQLiteConsolidation(db, stamp: stamp, progress: progress)
            return try consolidation.run(dryRun: dryRun)
        }
    }

    /// Gives back the legacy database exactly as it was before consolidation (plaintext API keys
    /// excepted), in one transaction: custctl's tables and bookkeeping go. With `dryRun` the
    /// transaction is rolled back after the report is made.
    func restoreLegacy(dryRun: Bool) throws -> LegacyRestoreReport {
        try mapErrors {
            try writer.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
                var report: LegacyRestoreReport?
                try db.inTransaction(.immediate) {
                    report = try SQLiteBackend.restore(db)
                    return dryRun ? .rollback : .commit
                }
                guard let report else { throw InvariantError("the restore produced no report") }
                return report
            }
        }
    }

    private static func restore(_ db: Database) throws -> LegacyRestoreReport {
        // An archive made on PostgreSQL (brought here by `copy`) keeps record literals, not SQLite's, and
        // its tables stayed in the PostgreSQL database: there is nothing here to give back.
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM legacy_archive WHERE row_sql LIKE '(%')") == true {
            throw MigrationError.legacyArchiveMissing("this database (its archive was made on PostgreSQL)")
        }
        let schema = try Row.fetchAll(
            db, sql: "SELECT type, name, tbl_name, sql, columns FROM legacy_schema ORDER BY position")
        for migration in Migrations.all.reversed() {
            for sql in migration.down { try db.execute(sql: sql) }
        }
        for table in Migrations.bookkeepingTables {
            try db.execute(sql: "DROP TABLE IF EXISTS " + table.quotedDatabaseIdentifier)
        }
        try markSchema(db, current: false)
        var tables: [String] = []
        var rows = 0
        var keys: [ConsolidationIssue] = []
        for entry in schema where entry["type"] as String == "table" {
            let table: String = entry["name"]
            try db.execute(sql: entry["sql"])
            tables.append(table)
            let columns =
                try JSONSerialization.jsonObject(with: Data((entry["columns"] as String).utf8)) as? [String] ?? []
            let secret = columns.firstIndex { LegacyLayout.secretColumns.contains("\(table).\($0)") }
            let archived = try Row.fetchCursor(
                db,
                sql:
                    "SELECT source_id, row_sql FROM legacy_archive WHERE source_table = ? AND row_sql LIKE '[%' ORDER BY source_id",
                arguments: [table])
            while let row = try archived.next() {
                let literals =
                    try JSONSerialization.jsonObject(with: Data((row["row_sql"] as String).utf8)) as? [String] ?? []
                guard literals.count == columns.count else { continue }
                // The literals come from SQLite's own quote(): safe to splice into the statement.
                try db.execute(
                    sql: "INSERT INTO " + table.quotedDatabaseIdentifier + " ("
                        + columns.map(\.quotedDatabaseIdentifier).joined(separator: ", ")
                        + ") VALUES (" + literals.joined(separator: ", ") + ")")
                rows += 1
                if let secret, literals[secret] != "NULL" {
                    keys.append(
                        ConsolidationIssue(
                            table: table, id: row["source_id"], reason: "plaintext key cannot be restored from its hash"
                        ))
                }
            }
        }
        for entry in schema where entry["type"] as String != "table" {
            try db.execute(sql: entry["sql"])
        }
        if try db.tableExists("fix_attempts") {
            try db.execute(
                sql: """
                    UPDATE fix_attempts SET customer_id = (SELECT json_extract(a.row_json, '$.customer_id') FROM legacy_archive a
                      WHERE a.source_table = 'fix_attempts' AND a.source_id = fix_attempts.id)
                    WHERE id IN (SELECT source_id FROM legacy_archive WHERE source_table = 'fix_attempts')
                    """)
        }
        for table in LegacyLayout.archiveTables {
            try db.execute(sql: "DROP TABLE " + table.quotedDatabaseIdentifier)
        }
        return LegacyRestoreReport(tables: tables, rows: rows, keysNotRestored: keys)
    }
}

/// One consolidation (SPEC 6) inside its transaction, step by step; the counts the report gives
/// are gathered as the steps run.
private struct SQLiteConsolidation {
    let db: Database
    let stamp: String
    let progress: (String) -> Void
    /// The tables the legacy file has.
    let present: Set<String>
    var tally = ConsolidationTally()
    var originalColumns: [String: [String]] = [:]

    init(_ db: Database, stamp: String, progress: @escaping (String) -> Void) throws {
        self.db = db
        self.stamp = stamp
        self.progress = progress
        present = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
    }

    /// Every step in order, then the report.
    mutating func run(dryRun: Bool) throws -> ConsolidationReport {
        try moveAside()
        try archive()
        try createSchema()
        try keepCustomers()
        try mergeUsers()
        try hashKeys()
        try linkForges()
        try markConflicts()
        try remapFixAttempts()
        try finish()
        return tally.report(dryRun: dryRun)
    }

    /// 1. Keep the legacy schema, and move the legacy tables aside under legacy_* names. Absent
    ///    tables become empty stand-ins; absent known columns are added to the copies only.
    mutating func moveAside() throws {
        try db.execute(
            sql: """
                CREATE TABLE legacy_schema (position INTEGER PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL,
                  tbl_name TEXT NOT NULL, sql TEXT NOT NULL, columns TEXT NOT NULL DEFAULT '[]');
                CREATE TABLE legacy_archive (id INTEGER PRIMARY KEY, source_table TEXT NOT NULL, source_id INTEGER,
                  conflict TEXT, row_json TEXT NOT NULL, row_sql TEXT NOT NULL);
                CREATE INDEX legacy_archive_source ON legacy_archive(source_table, source_id);
                """)
        for (table, known) in LegacyLayout.columns {
            let copy = "legacy_" + table
            if present.contains(table) {
                let columns = try tableColumns(table)
                originalColumns[table] = columns
                try db.execute(
                    sql: """
                        INSERT INTO legacy_schema (type, name, tbl_name, sql, columns)
                        SELECT type, name, tbl_name, sql, CASE type WHEN 'table' THEN ? ELSE '[]' END
                        FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type = 'table' DESC, rowid
                        """,
                    arguments: [JSONValue.array(columns.map(JSONValue.string)).serialized, table])
                tally.archivedColumns += columns.filter { !known.contains($0) }.map { "\(table).\($0)" }
                try db.execute(
                    sql: "ALTER TABLE " + table.quotedDatabaseIdentifier + " RENAME TO " + copy.quotedDatabaseIdentifier
                )
                for column in known where !columns.contains(column) {
                    try db.execute(
                        sql: "ALTER TABLE " + copy.quotedDatabaseIdentifier + " ADD COLUMN "
                            + column.quotedDatabaseIdentifier)
                }
                // Index names stay behind on rename: drop the copies' explicit indexes now (kept in legacy_schema).
                for index in try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    arguments: [copy])
                {
                    try db.execute(sql: "DROP INDEX " + index.quotedDatabaseIdentifier)
                }
            } else {
                try db.execute(
                    sql: "CREATE TEMP TABLE " + copy.quotedDatabaseIdentifier + " ("
                        + known.map(\.quotedDatabaseIdentifier).joined(separator: ", ") + ")")
            }
        }
        progress("legacy: moved the legacy tables aside")
    }

    /// 2. Archive every legacy row whole (exact SQL literals for rollback; plaintext keys as hashes).
    mutating func archive() throws {
        for (table, _) in LegacyLayout.columns {
            guard let columns = originalColumns[table] else { continue }
            func value(_ column: String) -> String {
                let quoted = column.quotedDatabaseIdentifier
                if LegacyLayout.secretColumns.contains("\(table).\(column)") {
                    return "CASE WHEN \(quoted) IS NULL THEN NULL ELSE 'sha256:' || custctl_sha256(\(quoted)) END"
                }
                return quoted
            }
            let json = columns.map {
                "'\($0.replacingOccurrences(of: "'", with: "''"))', CASE typeof(\($0.quotedDatabaseIdentifier)) WHEN 'blob' THEN hex(\($0.quotedDatabaseIdentifier)) ELSE \(value($0)) END"
            }
            let literals = columns.map { "quote(\(value($0)))" }
            try db.execute(
                sql:
                    "INSERT INTO legacy_archive (source_table, source_id, row_json, row_sql) SELECT ?, rowid, json_object("
                    + json.joined(separator: ", ") + "), json_array(" + literals.joined(separator: ", ") + ") FROM "
                    + ("legacy_" + table).quotedDatabaseIdentifier + " ORDER BY rowid",
                arguments: [table])
            tally.archived += db.changesCount
        }
        progress("legacy: archived \(tally.archived) legacy rows")
    }

    /// 3. The consolidated schema.
    mutating func createSchema() throws {
        for sql in Migrations.bookkeeping { try db.execute(sql: sql) }
        for migration in Migrations.all { try SQLiteBackend.apply(migration, in: db, stamp: stamp) }
    }

    /// 4. Customers keep their ids; of emails equal once normalised the oldest stays (rule 6).
    mutating func keepCustomers() throws {
        try db.execute(
            sql: """
                CREATE TEMP TABLE cust_map AS
                SELECT id, en, first_value(id) OVER (PARTITION BY en ORDER BY inserted_at, id) AS kept_id
                FROM (SELECT id, inserted_at, custctl_normalize_email(email) AS en FROM legacy_customers);
                CREATE UNIQUE INDEX temp.cust_map_id ON cust_map(id);
                INSERT INTO customers (id, name, email, email_normalized, customer_type, active, metadata, monthly_limit,
                  current_usage, trial_fixes_used, trial_fixes_limit, trial_expired_at, payment_method_added_at,
                  stripe_customer_id, subscription_plan, subscription_status, rollover_fixes, created_at, updated_at)
                SELECT c.id, COALESCE(c.name, ''), trim(COALESCE(c.email, '')), m.en,
                  CASE WHEN c.plan IN ('paid', 'enterprise', 'internal') THEN c.plan ELSE 'trial' END,
                  CASE WHEN c.active = 0 THEN 0 ELSE 1 END,
                  CASE WHEN json_valid(c.metadata) AND json_type(c.metadata) = 'object'
                       THEN CASE WHEN json_type(c.metadata, '$.source') IS NULL THEN json_set(c.metadata, '$.source', 'legacy') ELSE c.metadata END
                       ELSE json_object('source', 'legacy') END,
                  COALESCE(c.monthly_limit, 100), COALESCE(c.current_usage, 0), COALESCE(c.trial_fixes_used, 0),
                  COALESCE(c.trial_fixes_limit, 10),
                  COALESCE(c.trial_expired_at, CASE WHEN c.trial_expired = 1 THEN c.updated_at END),
                  COALESCE(c.payment_method_added_at, CASE WHEN c.payment_method_added = 1 THEN c.updated_at END),
                  c.stripe_customer_id,
                  CASE WHEN c.subscription_plan IN ('pay_as_you_go', 'pro') THEN c.subscription_plan ELSE 'pay_as_you_go' END,
                  CASE WHEN c.subscription_status IN ('trial', 'active', 'past_due', 'canceled') THEN c.subscription_status ELSE 'trial' END,
                  COALESCE(c.rollover_fixes, 0), COALESCE(c.inserted_at, ?), COALESCE(c.updated_at, c.inserted_at, ?)
                FROM legacy_customers c JOIN cust_map m ON m.id = c.id WHERE m.id = m.kept_id ORDER BY c.id;
                """, arguments: [stamp, stamp])
        tally.customersKept = db.changesCount
    }

    /// 5. Users merge by normalised email (rule 4); the oldest user of a normalised email wins.
    mutating func mergeUsers() throws {
        try db.execute(
            sql: """
                CREATE TEMP TABLE user_map AS
                SELECT id, en, first_value(id) OVER (PARTITION BY en ORDER BY inserted_at, id) AS kept_id
                FROM (SELECT id, inserted_at, custctl_normalize_email(email) AS en FROM legacy_users);
                UPDATE customers SET password_hash = u.hashed_password, confirmed_at = u.confirmed_at
                FROM legacy_users u JOIN user_map m ON m.id = u.id
                WHERE m.id = m.kept_id AND customers.email_normalized = m.en;
                """)
        tally.usersMerged = db.changesCount
        try db.execute(
            sql: """
                INSERT INTO customers (name, email, email_normalized, password_hash, metadata, confirmed_at, created_at, updated_at)
                SELECT substr(trim(u.email), 1, instr(trim(u.email), '@') - 1), trim(u.email), m.en, u.hashed_password,
                  json_object('source', 'legacy_user', 'legacy_user_id', u.id), u.confirmed_at,
                  COALESCE(u.inserted_at, ?), COALESCE(u.updated_at, u.inserted_at, ?)
                FROM legacy_users u JOIN user_map m ON m.id = u.id
                WHERE m.id = m.kept_id AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.email_normalized = m.en)
                ORDER BY u.id
                """, arguments: [stamp, stamp])
        tally.customersFromUsers = db.changesCount
    }

    /// 6. API keys: only hashes (rule 2); a key string that appears twice is one key.
    mutating func hashKeys() throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO api_keys (customer_id, name, prefix, key_hash, active, expires_at, last_used_at, metadata, created_at)
                SELECT m.kept_id, COALESCE(NULLIF(k.name, ''), 'Legacy Key'), substr(k.key, 1, min(8, length(k.key) / 4)),
                  custctl_sha256(k.key),
                  CASE WHEN k.active = 0 THEN 0 ELSE 1 END, k.expires_at, k.last_used_at,
                  json_set(CASE WHEN json_valid(k.metadata) AND json_type(k.metadata) = 'object' THEN k.metadata ELSE '{}' END,
                           '$.legacy_api_key_id', k.id),
                  COALESCE(k.inserted_at, ?)
                FROM legacy_api_keys k JOIN cust_map m ON m.id = k.customer_id
                WHERE k.key IS NOT NULL AND k.key <> '' ORDER BY k.id
                """, arguments: [stamp])
        tally.apiKeys = db.changesCount
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO api_keys (customer_id, name, prefix, key_hash, metadata, created_at)
                SELECT m.kept_id, 'Legacy Key', substr(c.api_key, 1, min(8, length(c.api_key) / 4)), custctl_sha256(c.api_key),
                  json_object('legacy_customer_id', c.id), COALESCE(c.inserted_at, ?)
                FROM legacy_customers c JOIN cust_map m ON m.id = c.id
                WHERE c.api_key IS NOT NULL AND c.api_key <> '' ORDER BY c.id
                """, arguments: [stamp])
        tally.inlineKeys = db.changesCount
    }

    /// 7. Forge accounts (rule 3 and 6): first claim wins; github_org unless the customer has it.
    mutating func linkForges() throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO forge_accounts (customer_id, forge_type, namespace, verified_at, created_at)
                SELECT m.kept_id, lower(f.forge_type), trim(f.namespace), f.verified_at, COALESCE(f.inserted_at, ?)
                FROM legacy_forge_accounts f JOIN cust_map m ON m.id = f.customer_id
                WHERE lower(f.forge_type) IN ('github', 'gitlab', 'bitbucket') AND length(trim(COALESCE(f.namespace, ''))) > 0
                ORDER BY f.id
                """, arguments: [stamp])
        tally.forgeAccounts = db.changesCount
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO forge_accounts (customer_id, forge_type, namespace, created_at)
                SELECT m.kept_id, 'github', trim(c.github_org), COALESCE(c.inserted_at, ?)
                FROM legacy_customers c JOIN cust_map m ON m.id = c.id
                WHERE length(trim(COALESCE(c.github_org, ''))) > 0 ORDER BY c.id
                """, arguments: [stamp])
        tally.githubOrgs = db.changesCount
    }

    /// 8. Conflicts and rows that could not be kept, marked in the archive and reported.
    mutating func markConflicts() throws {
        let conflictQueries: [(String, String)] = [
            (
                "customers",
                """
                SELECT m.id, 'duplicate email of customer ' || m.kept_id FROM cust_map m WHERE m.id <> m.kept_id
                """
            ),
            (
                "users",
                """
                SELECT m.id, 'duplicate email of user ' || m.kept_id FROM user_map m WHERE m.id <> m.kept_id
                """
            ),
            (
                "api_keys",
                """
                SELECT k.id, 'customer ' || k.customer_id || ' does not exist' FROM legacy_api_keys k
                WHERE NOT EXISTS (SELECT 1 FROM cust_map m WHERE m.id = k.customer_id)
                UNION ALL
                SELECT k.id, 'empty key' FROM legacy_api_keys k WHERE k.key IS NULL OR k.key = ''
                """
            ),
            (
                "customers",
                """
                SELECT c.id, 'inline api_key belongs to customer ' || a.customer_id || ' already'
                FROM legacy_customers c JOIN cust_map m ON m.id = c.id
                JOIN api_keys a ON a.key_hash = custctl_sha256(c.api_key)
                WHERE c.api_key IS NOT NULL AND c.api_key <> '' AND a.customer_id <> m.kept_id
                """
            ),
            (
                "forge_accounts",
                """
                SELECT f.id, CASE
                  WHEN NOT EXISTS (SELECT 1 FROM cust_map m WHERE m.id = f.customer_id) THEN 'customer ' || f.customer_id || ' does not exist'
                  WHEN lower(f.forge_type) NOT IN ('github', 'gitlab', 'bitbucket') THEN 'unknown forge type ' || quote(f.forge_type)
                  WHEN length(trim(COALESCE(f.namespace, ''))) = 0 THEN 'empty namespace'
                  ELSE 'namespace already claimed by customer ' || (SELECT g.customer_id FROM forge_accounts g
                        WHERE g.forge_type = lower(f.forge_type) AND g.namespace = trim(f.namespace) COLLATE NOCASE) END
                FROM legacy_forge_accounts f LEFT JOIN cust_map m ON m.id = f.customer_id
                WHERE m.id IS NULL OR lower(f.forge_type) NOT IN ('github', 'gitlab', 'bitbucket')
                  OR length(trim(COALESCE(f.namespace, ''))) = 0
                  OR NOT EXISTS (SELECT 1 FROM forge_accounts g WHERE g.forge_type = lower(f.forge_type)
                                 AND g.namespace = trim(f.namespace) COLLATE NOCASE AND g.customer_id = m.kept_id)
                """
            ),
            (
                "customers",
                """
                SELECT c.id, 'github_org ' || quote(trim(c.github_org)) || ' already claimed by customer ' || g.customer_id
                FROM legacy_customers c JOIN cust_map m ON m.id = c.id
                JOIN forge_accounts g ON g.forge_type = 'github' AND g.namespace = trim(c.github_org) COLLATE NOCASE
                WHERE length(trim(COALESCE(c.github_org, ''))) > 0 AND g.customer_id <> m.kept_id
                """
            ),
        ]
        for (table, query) in conflictQueries {
            for row in try Row.fetchAll(db, sql: query) {
                let issue = ConsolidationIssue(table: table, id: row[0], reason: row[1])
                tally.conflicts.append(issue)
                try db.execute(
                    sql: """
                        UPDATE legacy_archive SET conflict = COALESCE(conflict || '; ', '') || ?
                        WHERE source_table = ? AND source_id = ?
                        """,
                    arguments: [issue.reason, table, issue.id])
            }
        }
    }

    /// 9. fix_attempts stay as they are (rule 7); those of a merged duplicate follow the kept customer.
    mutating func remapFixAttempts() throws {
        if present.contains("fix_attempts") {
            tally.fixAttempts = try Int.fetchOne(db, sql: "SELECT count(*) FROM fix_attempts") ?? 0
            try db.execute(
                sql: """
                    INSERT INTO legacy_archive (source_table, source_id, conflict, row_json, row_sql)
                    SELECT 'fix_attempts', f.id, 'customer_id remapped to ' || m.kept_id,
                      json_object('customer_id', f.customer_id), json_array(quote(f.customer_id))
                    FROM fix_attempts f JOIN cust_map m ON m.id = f.customer_id WHERE m.id <> m.kept_id;
                    UPDATE fix_attempts SET customer_id = m.kept_id FROM cust_map m
                    WHERE fix_attempts.customer_id = m.id AND m.id <> m.kept_id;
                    """)
            tally.remapped = db.changesCount
        }
    }

    /// 10. Drop the legacy copies (their freed pages are zeroed) and mark the database production.
    mutating func finish() throws {
        for (table, _) in LegacyLayout.columns {
            try db.execute(sql: "DROP TABLE IF EXISTS " + ("legacy_" + table).quotedDatabaseIdentifier)
        }
        try db.execute(sql: "DROP TABLE IF EXISTS temp.cust_map; DROP TABLE IF EXISTS temp.user_map")
        try db.execute(sql: "UPDATE custctl_settings SET value = 'production' WHERE key = 'environment'")
        try SQLiteBackend.markSchema(db, current: true)  // after the last DDL of the consolidation
        let violations = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
        if let first = violations.first {
            throw InvariantError(
                "consolidation would leave \(violations.count) foreign key violation(s), the first in \(first[0] as String? ?? "?")"
            )
        }
        progress("legacy: consolidated into the custctl schema")
    }

    private func tableColumns(_ table: String) throws -> [String] {
        try SQLiteBackend.tableColumns(db, table)
    }
}
