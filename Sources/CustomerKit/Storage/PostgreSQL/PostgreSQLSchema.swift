import Foundation

extension PostgreSQLBackend {
    /// The statement with `{s}` replaced by the quoted schema.
    func qualified(_ sql: String) -> String { sql.replacingOccurrences(of: "{s}", with: schema) }

    /// Reads the schema state without changing anything: the layout of the tables in `--schema`. Two
    /// statements without a transaction block (every command starts here, so round trips count).
    func migrationStatus() throws -> MigrationStatus {
        try mapErrors {
            let tables = Set(try tableNames())
            let layout = DatabaseLayout(tables: tables)
            var applied: [String] = []
            var environment: DatabaseEnvironment?
            if layout == .custctl {
                // The migrations in order, then the environment mark (a NULL name) when the settings exist.
                let settings =
                    tables.contains("custctl_settings")
                    ? " UNION ALL SELECT NULL, value, NULL FROM \(schema).custctl_settings WHERE key = 'environment'"
                    : ""
                let rows = try connection.query(
                    "SELECT name, NULL::text, applied_order FROM \(schema).custctl_migrations\(settings) ORDER BY 3"
                ).rows
                for row in rows {
                    if let name = try row.optionalString(0) {
                        applied.append(name)
                    } else {
                        environment = try row.optionalString(1).flatMap(DatabaseEnvironment.init(rawValue:))
                    }
                }
                if tables.contains("custctl_settings") { environment = environment ?? .development }
            }
            return MigrationStatus(applied: applied, layout: layout, environment: environment, tables: tables)
        }
    }

    /// PostgreSQL reads the schema's state in two statements anyway (`migrationStatus`): no mark.
    func hasCurrentSchemaMark() throws -> Bool { false }

    /// The tables of `--schema`, sorted (in the caller's transaction, if any).
    func tableNames() throws -> [String] {
        try connection.query(
            """
            SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1
            """, [target.schema]
        ).rows.map { try $0.string(0) }
    }

    func withSchemaLock<T>(_ body: () throws -> T) throws -> T {
        let key = "custctl:schema:" + target.schema
        try mapErrors { try connection.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [key]) }
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]) }
        return try body()
    }

    func prepareForWrites() throws {
        try transaction(readOnly: false) { _ in try connection.run("CREATE SCHEMA IF NOT EXISTS \(schema)") }
    }

    func createSchema() throws {
        try transaction(readOnly: false) { instant in
            for sql in PostgreSQLMigrations.bookkeeping { try connection.run(qualified(sql)) }
            for migration in PostgreSQLMigrations.all { try record(migration, at: instant) }
        }
    }

    func createBookkeeping() throws {
        try transaction(readOnly: false) { _ in
            for sql in PostgreSQLMigrations.bookkeeping { try connection.run(qualified(sql)) }
        }
    }

    func apply(_ migration: Migration) throws {
        guard let own = PostgreSQLMigrations.all.first(where: { $0.name == migration.name }) else {
            throw InvariantError("migration \(migration.name) has no PostgreSQL form")
        }
        try transaction(readOnly: false) { instant in try record(own, at: instant) }
    }

    /// Runs a migration's statements and records it, in the open transaction.
    func record(_ migration: Migration, at instant: Date) throws {
        for sql in migration.up { try connection.run(qualified(sql)) }
        try connection.query(
            "INSERT INTO \(schema).custctl_migrations (name, applied_at) VALUES ($1, $2)", [migration.name, instant])
    }

    func revert(_ name: String) throws {
        guard let migration = PostgreSQLMigrations.all.first(where: { $0.name == name }) else { return }
        try transaction(readOnly: false) { _ in
            for sql in migration.down { try connection.run(qualified(sql)) }
            try connection.query("DELETE FROM \(schema).custctl_migrations WHERE name = $1", [name])
        }
    }

    func dropBookkeeping() throws {
        try transaction(readOnly: false) { _ in
            for table in Migrations.bookkeepingTables {
                try connection.run("DROP TABLE IF EXISTS \(schema).\(Self.quote(table))")
            }
        }
    }

    func mark(_ environment: DatabaseEnvironment, from previous: DatabaseEnvironment?, actor: Actor) throws {
        try writeRecords(durable: true) { tx in
            try connection.query(
                "UPDATE \(schema).custctl_settings SET value = $1 WHERE key = 'environment'", [environment.rawValue])
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "environment.mark",
                    details: [("from", .optional(previous?.rawValue)), ("to", .string(environment.rawValue))]),
                at: tx.now)
        }
    }

    // MARK: - Backups

    /// Writes `pg_dump --format=custom --schema=NAME` of the schema (and of its legacy archive, if any)
    /// to `custctl-DB-SCHEMA.backup-TIME` in the working folder (mode 0600) when any of its tables holds
    /// a row; keeps the newest three.
    func backupIfHoldsData(_ progress: (String) -> Void) throws -> String? {
        let holdsData = try transaction(readOnly: true) { _ -> Bool in
            for table in try tableNames() where !Migrations.bookkeepingTables.contains(table) {
                if try connection.query("SELECT EXISTS (SELECT 1 FROM \(schema).\(Self.quote(table)))").first?.bool(0)
                    == true
                {
                    return true
                }
            }
            return false
        }
        guard holdsData else { return nil }
        let base = "custctl-\(connection.databaseName)-\(target.schema)".map {
            $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_"
        }
        let path = DatabaseFile.newBackupPath(for: String(base), at: now)
        try dump(to: path)
        for old in DatabaseFile.pruneBackups(of: String(base)) { progress("removed old backup \(old)") }
        return path
    }

    /// Runs `pg_dump` into a new private file; its password, if any, travels in its environment.
    private func dump(to path: String) throws {
        guard let pgDump = Self.executable("pg_dump") else { throw MigrationError.backupToolMissing("pg_dump") }
        // A consolidated schema's legacy tables live in their archive schema until rollback: kept with it.
        let archived = try mapErrors {
            try connection.query("SELECT to_regnamespace($1) IS NOT NULL", [Self.quote(legacyArchiveName)]).first?
                .bool(0) ?? false
        }
        let file = try SecretFile(creating: path, database: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pgDump)
        process.arguments =
            ["--format=custom", "--schema=\(target.schema)"] + (archived ? ["--schema=\(legacyArchiveName)"] : [])
            + ["--file=\(path)", "--dbname=\(target.conninfoWithoutPassword)"]
        var environment = ProcessInfo.processInfo.environment
        if let password = target.password { environment["PGPASSWORD"] = password }
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw StoreError.unusable(
                    path: path, reason: "pg_dump failed: \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        } catch {
            file.discard()
            throw error
        }
    }

    /// The full path of `name` on the PATH, if it is there.
    static func executable(_ name: String) -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return folders.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    // MARK: - Permissions

    /// True when PUBLIC holds any privilege on custctl's tables.
    var isOpenToOthers: Bool {
        (try? publicGrants().isEmpty == false) ?? false
    }

    /// Tables of the schema with privileges granted to PUBLIC, as `table: PRIVILEGE, ...`.
    func publicGrants() throws -> [String] {
        try transaction(readOnly: true) { _ in
            try connection.query(
                """
                SELECT table_name::text, string_agg(privilege_type::text, ', ' ORDER BY privilege_type)
                FROM information_schema.role_table_grants
                WHERE table_schema = $1 AND grantee = 'PUBLIC' GROUP BY table_name ORDER BY table_name
                """, [target.schema]
            ).rows.map { "\(try $0.string(0)): \(try $0.string(1))" }
        }
    }
}

extension MigrationStatus {
    /// The status of a database with these tables and applied migrations.
    init(applied: [String], layout: DatabaseLayout, environment: DatabaseEnvironment?, tables: Set<String>) {
        let known = Set(Migrations.all.map(\.name))
        let appliedSet = Set(applied)
        self.init(
            layout: layout,
            applied: applied,
            pending: Migrations.all.map(\.name).filter { !appliedSet.contains($0) },
            unknown: applied.filter { !known.contains($0) },
            environment: environment,
            foreignTables: layout == .foreign ? tables.sorted() : [])
    }
}
