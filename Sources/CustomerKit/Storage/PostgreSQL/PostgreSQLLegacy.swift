import Foundation

// Legacy consolidation (SPEC 6 and 8) on PostgreSQL. The legacy tables of `--schema` move whole into
// the schema `<schema>_legacy` (rows, column types, indexes, constraints, sequences and triggers as
// they are), their plaintext keys are replaced by hashes there, and custctl's tables are filled from
// them with set-based SQL, all in one transaction. Rollback moves them back. The steps, rules and
// report are SQLite's (SQLiteLegacy.swift); see docs/legacy-consolidation.md.

extension PostgreSQLBackend {
    /// Where the legacy tables are kept after consolidation, until rollback: `<schema>_legacy`.
    var legacyArchiveName: String { target.schema + "_legacy" }

    /// Consolidates the legacy layout of the schema in ONE transaction (rolled back for a dry run).
    /// Every table it changes is locked first, under `lock_timeout`: a lock not granted in time is 75
    /// with nothing changed.
    func consolidateLegacy(dryRun: Bool, progress: (String) -> Void) throws -> ConsolidationReport {
        try legacyTransaction(dryRun: dryRun) { instant in
            try withoutActuallyEscaping(progress) { progress in
                var consolidation = try PostgreSQLConsolidation(self, at: instant, progress: progress)
                return try consolidation.run(dryRun: dryRun)
            }
        }
    }

    func holdsLegacyArchive() throws -> Bool {
        try transaction(readOnly: true) { _ in
            try connection.query("SELECT to_regclass($1) IS NOT NULL", ["\(schema).legacy_archive"]).first?.bool(0)
                ?? false
        }
    }

    /// Gives the legacy tables back exactly as they were (plaintext keys excepted) in one transaction:
    /// custctl's tables go, the archived tables move back, remapped fix attempts get their customer back.
    func restoreLegacy(dryRun: Bool) throws -> LegacyRestoreReport {
        try legacyTransaction(dryRun: dryRun) { _ in try restoreFromArchive() }
    }

    /// Runs `body` in one write transaction with an empty `search_path` (every name the catalog prints
    /// is qualified), rolled back instead of committed for a dry run.
    private func legacyTransaction<T: Sendable>(dryRun: Bool, _ body: (Date) throws -> T) throws -> T {
        do {
            return try transaction(readOnly: false) { instant in
                try connection.run("SET LOCAL search_path = pg_catalog")
                let result = try body(instant)
                if dryRun { throw RolledBack(result: result) }
                return result
            }
        } catch let rolledBack as RolledBack<T> {
            return rolledBack.result
        }
    }

    private func restoreFromArchive() throws -> LegacyRestoreReport {
        let archive = Self.quote(legacyArchiveName)
        let entries = try connection.query(
            "SELECT type, name, tbl_name, sql, columns FROM \(schema).legacy_schema ORDER BY position"
        ).rows
        var tables: [(name: String, columns: [String])] = []
        var foreignKeys: [(table: String, name: String, sql: String)] = []
        for entry in entries {
            switch try entry.string(0) {
            case "table":
                let columns = try JSONSerialization.jsonObject(with: Data(try entry.string(4).utf8)) as? [String] ?? []
                tables.append((try entry.string(1), columns))
            case "foreign_key":
                foreignKeys.append((try entry.string(2), try entry.string(1), try entry.string(3)))
            default: break
            }
        }
        for table in tables {
            let there = try connection.query(
                "SELECT to_regclass($1) IS NOT NULL", ["\(archive).\(Self.quote(table.name))"])
            guard try there.first?.bool(0) == true else {
                throw MigrationError.legacyArchiveMissing("schema \(legacyArchiveName)")
            }
        }
        for key in foreignKeys {
            try connection.run("ALTER TABLE \(key.table) DROP CONSTRAINT IF EXISTS \(Self.quote(key.name))")
        }
        for migration in PostgreSQLMigrations.all.reversed() {
            for sql in migration.down { try connection.run(qualified(sql)) }
        }
        for table in Migrations.bookkeepingTables {
            try connection.run("DROP TABLE IF EXISTS \(schema).\(Self.quote(table))")
        }
        var rows = 0
        for table in tables {
            let name = Self.quote(table.name)
            rows += try connection.query("SELECT count(*) FROM \(archive).\(name)").first?.int(0) ?? 0
            try connection.run("ALTER TABLE \(archive).\(name) SET SCHEMA \(schema)")
        }
        var keys: [ConsolidationIssue] = []
        for table in tables {
            for column in table.columns where LegacyLayout.secretColumns.contains("\(table.name).\(column)") {
                let ids = try connection.query(
                    "SELECT id::bigint FROM \(schema).\(Self.quote(table.name)) WHERE \(Self.quote(column)) IS NOT NULL ORDER BY id"
                ).rows
                keys += try ids.map {
                    ConsolidationIssue(
                        table: table.name, id: try $0.int64(0), reason: "plaintext key cannot be restored from its hash"
                    )
                }
            }
        }
        if try connection.query("SELECT to_regclass($1) IS NOT NULL", ["\(schema).fix_attempts"]).first?.bool(0) == true
        {
            try withoutUserTriggers("\(schema).fix_attempts") {
                try connection.run(
                    """
                    UPDATE \(schema).fix_attempts f SET customer_id = (a.row_json::json ->> 'customer_id')::bigint
                    FROM \(schema).legacy_archive a WHERE a.source_table = 'fix_attempts' AND a.source_id = f.id
                    """)
            }
        }
        for key in foreignKeys { try connection.run(key.sql) }
        try connection.run("DROP TABLE \(schema).legacy_archive, \(schema).legacy_schema")
        try connection.run("DROP SCHEMA \(archive)")
        return LegacyRestoreReport(tables: tables.map(\.name), rows: rows, keysNotRestored: keys)
    }

    /// Runs `body` with the user triggers of `table` (qualified) that would fire switched off, then
    /// switches them back as they were: consolidation's own updates must not change other columns.
    func withoutUserTriggers(_ table: String, _ body: () throws -> Void) throws {
        let triggers = try connection.query(
            """
            SELECT tgname::text, tgenabled::text FROM pg_catalog.pg_trigger
            WHERE tgrelid = $1::regclass AND NOT tgisinternal AND tgenabled IN ('O', 'A') ORDER BY tgname
            """, [table]
        ).rows.map { (name: Self.quote(try $0.string(0)), always: try $0.string(1) == "A") }
        for trigger in triggers { try connection.run("ALTER TABLE \(table) DISABLE TRIGGER \(trigger.name)") }
        try body()
        for trigger in triggers {
            try connection.run("ALTER TABLE \(table) ENABLE \(trigger.always ? "ALWAYS " : "")TRIGGER \(trigger.name)")
        }
    }
}

/// Carries a dry run's result out of the transaction it rolls back.
private struct RolledBack<T: Sendable>: Error {
    let result: T
}

/// One consolidation on PostgreSQL inside its transaction, step by step; the counts the report gives
/// are gathered as the steps run.
private struct PostgreSQLConsolidation {
    let backend: PostgreSQLBackend
    let instant: Date
    let progress: (String) -> Void
    /// The quoted schema and archive schema.
    let s: String
    let archive: String
    /// The legacy tables present (those of `LegacyLayout.columns`), each with its columns and their types.
    var present: [String: [(name: String, type: String)]] = [:]
    /// The columns of `fix_attempts`, if it is there (it stays where it is).
    var fixAttemptColumns: [String] = []
    /// Foreign keys of `fix_attempts` onto the legacy `customers(id)`: re-pointed to custctl's customers.
    var customerReferences: [(name: String, definition: String)] = []
    var tally = ConsolidationTally()

    init(_ backend: PostgreSQLBackend, at instant: Date, progress: @escaping (String) -> Void) throws {
        self.backend = backend
        self.instant = instant
        self.progress = progress
        s = backend.schema
        archive = PostgreSQLBackend.quote(backend.legacyArchiveName)
    }

    /// Every step in order, then the report.
    mutating func run(dryRun: Bool) throws -> ConsolidationReport {
        try lockAndInspect()
        try moveAside()
        try createSchema()
        try normalizeEmails()
        try keepCustomers()
        try mergeUsers()
        try hashKeys()
        try linkForges()
        try markConflicts()
        try scrubKeys()
        try archiveRows()
        try remapFixAttempts()
        try finish()
        return tally.report(dryRun: dryRun)
    }

    @discardableResult
    private func query(_ sql: String, _ parameters: [(any PQParameter)?] = []) throws -> PQResult {
        try backend.connection.query(sql, parameters)
    }

    private func execute(_ sql: String) throws { try backend.connection.run(sql) }

    private func q(_ identifier: String) -> String { PostgreSQLBackend.quote(identifier) }

    /// The hex SHA-256 of a text expression's UTF-8 bytes: the same digest `APIKeyFormat.hash` gives.
    private func sha256(_ expression: String) -> String {
        "encode(sha256(convert_to(\(expression), 'UTF8')), 'hex')"
    }

    /// The legacy tables in the layout's order, those present only.
    private var presentTables: [String] { LegacyLayout.columns.map(\.table).filter { present[$0] != nil } }

    /// 1. Lock every legacy table (a lock not granted within lock_timeout is 75, nothing changed), then
    ///    read their columns and the foreign keys of `fix_attempts` onto `customers`.
    mutating func lockAndInspect() throws {
        let name = backend.target.schema
        let there = try query("SELECT to_regnamespace($1) IS NOT NULL", [archive])
        if try there.first?.bool(0) == true { throw MigrationError.legacyArchiveExists(backend.legacyArchiveName) }
        let tables = try backend.tableNames().filter { LegacyLayout.tables.contains($0) }
        guard !tables.isEmpty else { throw InvariantError("no legacy table in schema \(name)") }
        try execute(
            "LOCK TABLE " + tables.map { "\(s).\(q($0))" }.joined(separator: ", ") + " IN ACCESS EXCLUSIVE MODE")
        let columns = try query(
            """
            SELECT c.relname::text, a.attname::text, t.typname::text
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            WHERE n.nspname = $1 AND c.relname = ANY ($2::text[]) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY c.relname, a.attnum
            """, [name, PQArray(tables.map { Optional($0) })]
        ).rows
        for row in columns {
            let table = try row.string(0)
            let column = (name: try row.string(1), type: try row.string(2))
            if table == "fix_attempts" {
                fixAttemptColumns.append(column.name)
            } else {
                present[table, default: []].append(column)
            }
        }
        for (table, known) in LegacyLayout.columns {
            tally.archivedColumns += (present[table] ?? []).map(\.name).filter { !known.contains($0) }.map {
                "\(table).\($0)"
            }
        }
        if !fixAttemptColumns.isEmpty && present["customers"] != nil {
            customerReferences = try query(
                """
                SELECT con.conname::text, pg_catalog.pg_get_constraintdef(con.oid)
                FROM pg_catalog.pg_constraint con
                WHERE con.contype = 'f' AND con.conrelid = $1::regclass AND con.confrelid = $2::regclass
                  AND (SELECT array_agg(a.attname::text) FROM pg_catalog.pg_attribute a
                       WHERE a.attrelid = con.confrelid AND a.attnum = ANY (con.confkey)) = ARRAY['id']
                ORDER BY 1
                """, ["\(s).fix_attempts", "\(s).customers"]
            ).rows.map { (name: try $0.string(0), definition: try $0.string(1)) }
        }
    }

    /// 2. Keep the legacy schema's description, and move the legacy tables whole into the archive schema.
    ///    Views over them give the consolidation every known column in one type (absent tables are
    ///    empty, absent columns NULL).
    mutating func moveAside() throws {
        try execute(
            """
            CREATE SCHEMA \(archive);
            CREATE TABLE \(s).legacy_schema (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              type text NOT NULL, name text NOT NULL, tbl_name text NOT NULL, sql text NOT NULL,
              columns text NOT NULL DEFAULT '[]');
            CREATE TABLE \(s).legacy_archive (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              source_table text NOT NULL, source_id bigint, conflict text, row_json text NOT NULL, row_sql text NOT NULL);
            CREATE INDEX legacy_archive_source ON \(s).legacy_archive (source_table, source_id)
            """)
        for table in presentTables {
            let relation = "\(s).\(q(table))"
            let columns = JSONValue.array((present[table] ?? []).map { .string($0.name) }).serialized
            try query(
                """
                INSERT INTO \(s).legacy_schema (type, name, tbl_name, sql, columns)
                SELECT 'table', $2, $2, 'CREATE TABLE ' || $1::regclass::text || ' ('
                  || string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
                       || COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum)
                  || COALESCE((SELECT string_agg(', CONSTRAINT ' || quote_ident(k.conname) || ' '
                       || pg_get_constraintdef(k.oid), '' ORDER BY k.conname)
                     FROM pg_catalog.pg_constraint k WHERE k.conrelid = $1::regclass), '') || ')', $3
                FROM pg_catalog.pg_attribute a
                LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
                """, [relation, table, columns])
            try query(
                """
                INSERT INTO \(s).legacy_schema (type, name, tbl_name, sql)
                SELECT 'index', c.relname::text, $2, pg_get_indexdef(i.indexrelid)
                FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = $1::regclass
                UNION ALL
                SELECT 'trigger', tgname::text, $2, pg_get_triggerdef(oid) FROM pg_catalog.pg_trigger
                WHERE tgrelid = $1::regclass AND NOT tgisinternal
                ORDER BY 1, 2
                """, [relation, table])
        }
        for key in customerReferences {
            // The same definition names `customers` by schema: it binds to custctl's table once the
            // legacy one has moved, and to the legacy one again after rollback.
            let add = "ALTER TABLE \(s).fix_attempts ADD CONSTRAINT \(q(key.name)) \(key.definition)"
            try query(
                "INSERT INTO \(s).legacy_schema (type, name, tbl_name, sql) VALUES ('foreign_key', $1, $2, $3)",
                [key.name, "\(s).fix_attempts", add])
            try execute("ALTER TABLE \(s).fix_attempts DROP CONSTRAINT \(q(key.name))")
        }
        for table in presentTables {
            try execute("ALTER TABLE \(s).\(q(table)) SET SCHEMA \(archive)")
        }
        var jsonFunction = false
        for (table, known) in LegacyLayout.columns {
            let columns = present[table] ?? []
            let expressions = known.map { column -> String in
                let wanted = Self.type(of: column)
                guard let actual = columns.first(where: { $0.name == column })?.type else {
                    return "NULL::\(wanted) AS \(q(column))"
                }
                let value = "t.\(q(column))"
                let converted: String
                switch (wanted, actual) {
                case ("boolean", "bool"), ("jsonb", "jsonb"), ("bigint", "int8"), ("text", "text"),
                    ("timestamptz", "timestamptz"), ("bytea", "bytea"):
                    converted = value
                case ("boolean", "int2"), ("boolean", "int4"), ("boolean", "int8"), ("boolean", "numeric"):
                    converted = "(\(value) <> 0)"
                case ("jsonb", "json"):
                    converted = "\(value)::jsonb"
                case ("jsonb", _):
                    jsonFunction = true
                    converted = "pg_temp.custctl_jsonb(\(value)::text)"
                default:
                    converted = "\(value)::\(wanted)"
                }
                return "\(converted) AS \(q(column))"
            }
            if jsonFunction {
                // Metadata kept as text may not be JSON: such a value counts as not an object.
                try execute(
                    """
                    CREATE OR REPLACE FUNCTION pg_temp.custctl_jsonb(value text) RETURNS jsonb LANGUAGE plpgsql
                    IMMUTABLE AS $$ BEGIN RETURN value::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$
                    """)
            }
            let source = present[table] == nil ? "(SELECT) t WHERE false" : "\(archive).\(q(table)) t"
            try execute(
                "CREATE TEMP VIEW \(q("legacy_" + table)) AS SELECT "
                    + expressions.joined(separator: ", ") + " FROM \(source)")
        }
        progress("legacy: moved the legacy tables aside into \(backend.legacyArchiveName)")
    }

    /// The type every legacy column is read as.
    private static func type(of column: String) -> String {
        switch column {
        case "id", "user_id", "customer_id", "monthly_limit", "current_usage", "monthly_fix_quota", "trial_fixes_used",
            "trial_fixes_limit", "rollover_fixes":
            return "bigint"
        case "active", "payment_method_added", "trial_expired": return "boolean"
        case "metadata": return "jsonb"
        case "token": return "bytea"
        case "confirmed_at", "inserted_at", "updated_at", "trial_expired_at", "payment_method_added_at", "expires_at",
            "last_used_at", "verified_at":
            return "timestamptz"
        default: return "text"
        }
    }

    /// 3. The consolidated schema.
    mutating func createSchema() throws {
        for sql in PostgreSQLMigrations.bookkeeping { try execute(backend.qualified(sql)) }
        for migration in PostgreSQLMigrations.all { try backend.record(migration, at: instant) }
    }

    /// 4. Emails normalised by the same Swift code as everywhere (SPEC 5.4), into temporary tables.
    mutating func normalizeEmails() throws {
        for (view, table) in [("legacy_customers", "cust_email"), ("legacy_users", "user_email")] {
            var ids: [Int64?] = []
            var normalized: [String?] = []
            for row in try query("SELECT id, email FROM pg_temp.\(view)").rows {
                ids.append(try row.optionalInt64(0))
                normalized.append(try row.optionalString(1).map(EmailAddress.normalize))
            }
            try execute("CREATE TEMP TABLE \(table) (id bigint PRIMARY KEY, en text) ON COMMIT DROP")
            try query(
                "INSERT INTO pg_temp.\(table) SELECT * FROM unnest($1::bigint[], $2::text[])",
                [PQArray(ids), PQArray(normalized)])
            try execute("ANALYZE pg_temp.\(table)")
        }
    }

    /// 5. Customers keep their ids; of emails equal once normalised the oldest stays (rule 6).
    mutating func keepCustomers() throws {
        try execute(
            """
            CREATE TEMP TABLE cust_map ON COMMIT DROP AS
            SELECT c.id, e.en, first_value(c.id) OVER (PARTITION BY e.en ORDER BY c.inserted_at NULLS FIRST, c.id) AS kept_id
            FROM pg_temp.legacy_customers c JOIN pg_temp.cust_email e ON e.id = c.id;
            CREATE UNIQUE INDEX ON pg_temp.cust_map (id);
            ANALYZE pg_temp.cust_map
            """)
        tally.customersKept =
            try query(
                """
                INSERT INTO \(s).customers (id, name, email, email_normalized, customer_type, active, metadata,
                  monthly_limit, current_usage, trial_fixes_used, trial_fixes_limit, trial_expired_at,
                  payment_method_added_at, stripe_customer_id, subscription_plan, subscription_status, rollover_fixes,
                  created_at, updated_at)
                SELECT c.id, COALESCE(c.name, ''), trim(COALESCE(c.email, '')), m.en,
                  CASE WHEN c.plan IN ('paid', 'enterprise', 'internal') THEN c.plan ELSE 'trial' END,
                  COALESCE(c.active, true),
                  CASE WHEN jsonb_typeof(c.metadata) IS DISTINCT FROM 'object' OR c.metadata = '{}'::jsonb
                         THEN '{"source":"legacy"}'::json
                       WHEN c.metadata ? 'source' THEN c.metadata::json
                       ELSE (c.metadata || '{"source":"legacy"}'::jsonb)::json END,
                  COALESCE(c.monthly_limit, 100), COALESCE(c.current_usage, 0), COALESCE(c.trial_fixes_used, 0),
                  COALESCE(c.trial_fixes_limit, 10),
                  COALESCE(c.trial_expired_at, CASE WHEN c.trial_expired THEN c.updated_at END),
                  COALESCE(c.payment_method_added_at, CASE WHEN c.payment_method_added THEN c.updated_at END),
                  c.stripe_customer_id,
                  CASE WHEN c.subscription_plan IN ('pay_as_you_go', 'pro') THEN c.subscription_plan ELSE 'pay_as_you_go' END,
                  CASE WHEN c.subscription_status IN ('trial', 'active', 'past_due', 'canceled')
                       THEN c.subscription_status ELSE 'trial' END,
                  COALESCE(c.rollover_fixes, 0), COALESCE(c.inserted_at, $1), COALESCE(c.updated_at, c.inserted_at, $1)
                FROM pg_temp.legacy_customers c JOIN pg_temp.cust_map m ON m.id = c.id WHERE m.id = m.kept_id ORDER BY c.id
                """, [instant]
            ).affected
        // The identity continues after the kept ids, so customers made from users get new ones.
        try query(
            "SELECT setval(pg_get_serial_sequence($1, 'id'), max(id)) FROM \(s).customers", ["\(s).customers"])
    }

    /// 6. Users merge by normalised email (rule 4); the oldest user of a normalised email wins.
    mutating func mergeUsers() throws {
        try execute(
            """
            CREATE TEMP TABLE user_map ON COMMIT DROP AS
            SELECT u.id, e.en, first_value(u.id) OVER (PARTITION BY e.en ORDER BY u.inserted_at NULLS FIRST, u.id) AS kept_id
            FROM pg_temp.legacy_users u JOIN pg_temp.user_email e ON e.id = u.id;
            ANALYZE pg_temp.user_map
            """)
        tally.usersMerged =
            try query(
                """
                UPDATE \(s).customers c SET password_hash = u.hashed_password, confirmed_at = u.confirmed_at
                FROM pg_temp.legacy_users u JOIN pg_temp.user_map m ON m.id = u.id
                WHERE m.id = m.kept_id AND c.email_normalized = m.en
                """
            ).affected
        tally.customersFromUsers =
            try query(
                """
                INSERT INTO \(s).customers (name, email, email_normalized, password_hash, metadata, confirmed_at,
                  created_at, updated_at)
                SELECT CASE WHEN strpos(trim(u.email), '@') > 0
                         THEN substr(trim(u.email), 1, strpos(trim(u.email), '@') - 1) ELSE '' END,
                  trim(u.email), m.en, u.hashed_password,
                  format('{"source":"legacy_user","legacy_user_id":%s}', u.id)::json, u.confirmed_at,
                  COALESCE(u.inserted_at, $1), COALESCE(u.updated_at, u.inserted_at, $1)
                FROM pg_temp.legacy_users u JOIN pg_temp.user_map m ON m.id = u.id
                WHERE m.id = m.kept_id AND NOT EXISTS (SELECT 1 FROM \(s).customers c WHERE c.email_normalized = m.en)
                ORDER BY u.id
                """, [instant]
            ).affected
    }

    /// 7. API keys: only hashes (rule 2); a key string that appears twice is one key (its first row). The
    ///    repeats are left out before inserting, not skipped by a conflict clause: that would use up
    ///    identity values, and the new ids are SQLite's.
    mutating func hashKeys() throws {
        tally.apiKeys =
            try query(
                """
                INSERT INTO \(s).api_keys (customer_id, name, prefix, key_hash, active, expires_at, last_used_at,
                  metadata, created_at)
                SELECT k.kept_id, COALESCE(NULLIF(k.name, ''), 'Legacy Key'), substr(k.key, 1, least(8, length(k.key) / 4)),
                  k.hash, COALESCE(k.active, true), k.expires_at, k.last_used_at,
                  CASE WHEN jsonb_typeof(k.metadata) = 'object' AND k.metadata <> '{}'::jsonb
                         THEN (k.metadata || jsonb_build_object('legacy_api_key_id', k.id))::json
                       ELSE format('{"legacy_api_key_id":%s}', k.id)::json END,
                  COALESCE(k.inserted_at, $1)
                FROM (SELECT k.*, m.kept_id, \(sha256("k.key")) AS hash,
                        row_number() OVER (PARTITION BY k.key ORDER BY k.id) AS claim
                      FROM pg_temp.legacy_api_keys k JOIN pg_temp.cust_map m ON m.id = k.customer_id
                      WHERE k.key <> '') k
                WHERE k.claim = 1 ORDER BY k.id
                """, [instant]
            ).affected
        tally.inlineKeys =
            try query(
                """
                INSERT INTO \(s).api_keys (customer_id, name, prefix, key_hash, metadata, created_at)
                SELECT c.kept_id, 'Legacy Key', substr(c.api_key, 1, least(8, length(c.api_key) / 4)), c.hash,
                  format('{"legacy_customer_id":%s}', c.id)::json, COALESCE(c.inserted_at, $1)
                FROM (SELECT c.id, c.api_key, c.inserted_at, m.kept_id, \(sha256("c.api_key")) AS hash,
                        row_number() OVER (PARTITION BY c.api_key ORDER BY c.id) AS claim
                      FROM pg_temp.legacy_customers c JOIN pg_temp.cust_map m ON m.id = c.id
                      WHERE c.api_key <> '') c
                WHERE c.claim = 1 AND NOT EXISTS (SELECT 1 FROM \(s).api_keys a WHERE a.key_hash = c.hash)
                ORDER BY c.id
                """, [instant]
            ).affected
    }

    /// 8. Forge accounts (rules 3 and 6): the first claim wins (repeats left out, as for keys);
    ///    github_org unless the customer has it.
    mutating func linkForges() throws {
        tally.forgeAccounts =
            try query(
                """
                INSERT INTO \(s).forge_accounts (customer_id, forge_type, namespace, verified_at, created_at)
                SELECT f.kept_id, f.type, f.namespace, f.verified_at, COALESCE(f.inserted_at, $1)
                FROM (SELECT f.id, lower(f.forge_type) AS type, trim(f.namespace) AS namespace, f.verified_at,
                        f.inserted_at, m.kept_id,
                        row_number() OVER (PARTITION BY lower(f.forge_type), lower(trim(f.namespace)) ORDER BY f.id) AS claim
                      FROM pg_temp.legacy_forge_accounts f JOIN pg_temp.cust_map m ON m.id = f.customer_id
                      WHERE lower(f.forge_type) IN ('github', 'gitlab', 'bitbucket')
                        AND length(trim(COALESCE(f.namespace, ''))) > 0) f
                WHERE f.claim = 1 ORDER BY f.id
                """, [instant]
            ).affected
        tally.githubOrgs =
            try query(
                """
                INSERT INTO \(s).forge_accounts (customer_id, forge_type, namespace, created_at)
                SELECT c.kept_id, 'github', c.namespace, COALESCE(c.inserted_at, $1)
                FROM (SELECT c.id, trim(c.github_org) AS namespace, c.inserted_at, m.kept_id,
                        row_number() OVER (PARTITION BY lower(trim(c.github_org)) ORDER BY c.id) AS claim
                      FROM pg_temp.legacy_customers c JOIN pg_temp.cust_map m ON m.id = c.id
                      WHERE length(trim(COALESCE(c.github_org, ''))) > 0) c
                WHERE c.claim = 1 AND NOT EXISTS (SELECT 1 FROM \(s).forge_accounts g
                  WHERE g.forge_type = 'github' AND lower(g.namespace) = lower(c.namespace))
                ORDER BY c.id
                """, [instant]
            ).affected
    }

    /// 9. Conflicts and rows that could not be kept, gathered for the report and the archive.
    mutating func markConflicts() throws {
        let forgeTypes = "('github', 'gitlab', 'bitbucket')"
        let conflictQueries: [(String, String)] = [
            (
                "customers",
                "SELECT m.id, 'duplicate email of customer ' || m.kept_id FROM pg_temp.cust_map m WHERE m.id <> m.kept_id"
            ),
            (
                "users",
                "SELECT m.id, 'duplicate email of user ' || m.kept_id FROM pg_temp.user_map m WHERE m.id <> m.kept_id"
            ),
            (
                "api_keys",
                """
                SELECT k.id, 'customer ' || k.customer_id || ' does not exist' FROM pg_temp.legacy_api_keys k
                WHERE NOT EXISTS (SELECT 1 FROM pg_temp.cust_map m WHERE m.id = k.customer_id)
                UNION ALL
                SELECT k.id, 'empty key' FROM pg_temp.legacy_api_keys k WHERE k.key IS NULL OR k.key = ''
                """
            ),
            (
                "customers",
                """
                SELECT c.id, 'inline api_key belongs to customer ' || a.customer_id || ' already'
                FROM pg_temp.legacy_customers c JOIN pg_temp.cust_map m ON m.id = c.id
                JOIN \(s).api_keys a ON a.key_hash = \(sha256("c.api_key"))
                WHERE c.api_key <> '' AND a.customer_id <> m.kept_id
                """
            ),
            (
                "forge_accounts",
                """
                SELECT f.id, CASE
                  WHEN m.id IS NULL THEN 'customer ' || f.customer_id || ' does not exist'
                  WHEN lower(f.forge_type) NOT IN \(forgeTypes) THEN 'unknown forge type ' || quote_nullable(f.forge_type)
                  WHEN length(trim(COALESCE(f.namespace, ''))) = 0 THEN 'empty namespace'
                  ELSE 'namespace already claimed by customer ' || (SELECT g.customer_id FROM \(s).forge_accounts g
                        WHERE g.forge_type = lower(f.forge_type) AND lower(g.namespace) = lower(trim(f.namespace))) END
                FROM pg_temp.legacy_forge_accounts f LEFT JOIN pg_temp.cust_map m ON m.id = f.customer_id
                WHERE m.id IS NULL OR lower(f.forge_type) NOT IN \(forgeTypes)
                  OR length(trim(COALESCE(f.namespace, ''))) = 0
                  OR NOT EXISTS (SELECT 1 FROM \(s).forge_accounts g WHERE g.forge_type = lower(f.forge_type)
                                 AND lower(g.namespace) = lower(trim(f.namespace)) AND g.customer_id = m.kept_id)
                """
            ),
            (
                "customers",
                """
                SELECT c.id, 'github_org ' || quote_nullable(trim(c.github_org)) || ' already claimed by customer '
                  || g.customer_id
                FROM pg_temp.legacy_customers c JOIN pg_temp.cust_map m ON m.id = c.id
                JOIN \(s).forge_accounts g ON g.forge_type = 'github' AND lower(g.namespace) = lower(trim(c.github_org))
                WHERE length(trim(COALESCE(c.github_org, ''))) > 0 AND g.customer_id <> m.kept_id
                """
            ),
        ]
        for (table, conflictQuery) in conflictQueries {
            for row in try query(conflictQuery + " ORDER BY 1").rows {
                tally.conflicts.append(
                    ConsolidationIssue(table: table, id: try row.int64(0), reason: try row.string(1)))
            }
        }
        try execute(
            """
            CREATE TEMP TABLE legacy_conflicts (position bigint GENERATED ALWAYS AS IDENTITY, source_table text,
              source_id bigint, reason text) ON COMMIT DROP
            """)
        try query(
            """
            INSERT INTO pg_temp.legacy_conflicts (source_table, source_id, reason)
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
            """,
            [
                PQArray(tally.conflicts.map { Optional($0.table) }), PQArray(tally.conflicts.map { Optional($0.id) }),
                PQArray(tally.conflicts.map { Optional($0.reason) }),
            ])
    }

    /// 10. Plaintext keys leave the archived tables: each becomes `sha256:<hex>` (user triggers held off,
    ///     so no other column changes). Old row versions stay until VACUUM (docs/legacy-consolidation.md).
    mutating func scrubKeys() throws {
        for table in presentTables {
            for column in (present[table] ?? []).map(\.name)
            where LegacyLayout.secretColumns.contains("\(table).\(column)") {
                let relation = "\(archive).\(q(table))"
                try backend.withoutUserTriggers(relation) {
                    try execute(
                        "UPDATE \(relation) SET \(q(column)) = 'sha256:' || \(sha256(q(column))) WHERE \(q(column)) IS NOT NULL"
                    )
                }
            }
        }
    }

    /// 11. Every legacy row in `legacy_archive` (as JSON and as its record literal), with its conflicts.
    mutating func archiveRows() throws {
        for table in presentTables {
            let hasID = present[table]?.contains { $0.name == "id" } == true
            tally.archived +=
                try query(
                    """
                    INSERT INTO \(s).legacy_archive (source_table, source_id, conflict, row_json, row_sql)
                    SELECT $1, \(hasID ? "t.id" : "NULL::bigint"), c.reasons, row_to_json(t)::text, t::text
                    FROM \(archive).\(q(table)) t
                    LEFT JOIN (SELECT source_id, string_agg(reason, '; ' ORDER BY position) AS reasons
                               FROM pg_temp.legacy_conflicts WHERE source_table = $1 GROUP BY source_id) c
                      ON \(hasID ? "c.source_id = t.id" : "false")
                    ORDER BY 2
                    """, [table]
                ).affected
        }
        progress("legacy: archived \(tally.archived) legacy rows")
    }

    /// 12. fix_attempts stay as they are (rule 7); those of a merged duplicate follow the kept customer,
    ///     and their foreign key onto customers now means custctl's customers.
    mutating func remapFixAttempts() throws {
        guard fixAttemptColumns.contains("id") && fixAttemptColumns.contains("customer_id") else { return }
        tally.fixAttempts = try query("SELECT count(*) FROM \(s).fix_attempts").first?.int(0) ?? 0
        try query(
            """
            INSERT INTO \(s).legacy_archive (source_table, source_id, conflict, row_json, row_sql)
            SELECT 'fix_attempts', f.id, 'customer_id remapped to ' || m.kept_id,
              format('{"customer_id":%s}', f.customer_id), format('["%s"]', f.customer_id)
            FROM \(s).fix_attempts f JOIN pg_temp.cust_map m ON m.id = f.customer_id WHERE m.id <> m.kept_id ORDER BY f.id
            """)
        try backend.withoutUserTriggers("\(s).fix_attempts") {
            tally.remapped =
                try query(
                    """
                    UPDATE \(s).fix_attempts f SET customer_id = m.kept_id FROM pg_temp.cust_map m
                    WHERE f.customer_id = m.id AND m.id <> m.kept_id
                    """
                ).affected
        }
        for key in customerReferences {
            try execute("ALTER TABLE \(s).fix_attempts ADD CONSTRAINT \(q(key.name)) \(key.definition)")
        }
    }

    /// 13. Drop the session's helpers and mark the database production.
    mutating func finish() throws {
        for (table, _) in LegacyLayout.columns { try execute("DROP VIEW pg_temp.\(q("legacy_" + table))") }
        try execute("DROP FUNCTION IF EXISTS pg_temp.custctl_jsonb(text)")
        try execute("UPDATE \(s).custctl_settings SET value = 'production' WHERE key = 'environment'")
        progress("legacy: consolidated into the custctl schema")
    }
}
