import Foundation
import GRDB

extension SQLiteBackend {
    /// True when the database file can be read or written by group or others (custctl creates it
    /// 0600, so someone else made it so); `migrate` warns and `doctor` reports it.
    var isOpenToOthers: Bool { path.map(DatabaseFile.isOpenToOthers) ?? false }

    /// Reads the schema state without changing anything.
    func migrationStatus() throws -> MigrationStatus {
        try read { db in try SQLiteBackend.status(db) }
    }

    /// The database's tables (SQLite's own excepted), sorted.
    static func tableNames(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db,
            sql:
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    }

    static func status(_ db: Database) throws -> MigrationStatus {
        let tables = Set(try tableNames(db))
        let layout = DatabaseLayout(tables: tables)
        var applied: [String] = []
        var environment: DatabaseEnvironment?
        if layout == .custctl {
            applied = try String.fetchAll(db, sql: "SELECT name FROM custctl_migrations ORDER BY rowid")
            if tables.contains("custctl_settings") {
                let mark = try String.fetchOne(db, sql: "SELECT value FROM custctl_settings WHERE key = 'environment'")
                environment = mark.flatMap(DatabaseEnvironment.init(rawValue:)) ?? .development
            }
        }
        return MigrationStatus(applied: applied, layout: layout, environment: environment, tables: tables)
    }

    /// Creates bookkeeping and every migration in one transaction (a new database is all or nothing).
    func createSchema() throws {
        let instant = now
        try write { db in
            for sql in Migrations.bookkeeping { try db.execute(sql: sql) }
            for migration in Migrations.all {
                try SQLiteBackend.apply(migration, in: db, stamp: Timestamp.string(from: instant))
            }
        }
    }

    /// Applies one migration and records it; the last of them marks the schema current.
    static func apply(_ migration: Migration, in db: Database, stamp: String) throws {
        for sql in migration.up { try db.execute(sql: sql) }
        try db.execute(
            sql: "INSERT INTO custctl_migrations (name, applied_at) VALUES (?, ?)", arguments: [migration.name, stamp])
        try markSchema(db, current: migration.name == Migrations.all.last?.name)
    }

    /// `PRAGMA user_version` of a file whose schema is exactly this binary's migrations: "C", their
    /// count, and the low bits of SQLite's `schema_version`, which every DDL statement changes. Applying
    /// the last migration writes it and every step back clears it (0), so an ordinary command compares
    /// two numbers instead of reading three tables in a transaction of its own; any other value (an older
    /// or newer custctl's file, a file of before the mark, a schema changed since by any tool) takes
    /// the full check.
    static func currentSchemaMark(schemaVersion: Int) -> Int {
        0x4300_0000 | (Migrations.all.count & 0xFF) << 16 | (schemaVersion & 0xFFFF)
    }

    static func markSchema(_ db: Database, current: Bool) throws {
        let mark =
            current ? currentSchemaMark(schemaVersion: try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0) : 0
        try db.execute(sql: "PRAGMA user_version = \(mark)")
    }

    func hasCurrentSchemaMark() throws -> Bool {
        try withoutTransaction { db in
            let mark = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            guard mark >> 24 == 0x43 else { return false }
            let version = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
            return mark == Self.currentSchemaMark(schemaVersion: version)
        }
    }

    func prepareForWrites() throws { try enableWAL() }

    func createBookkeeping() throws {
        try write { db in
            for sql in Migrations.bookkeeping { try db.execute(sql: sql) }
        }
    }

    func apply(_ migration: Migration) throws {
        let instant = now
        try write { db in try SQLiteBackend.apply(migration, in: db, stamp: Timestamp.string(from: instant)) }
    }

    func revert(_ name: String) throws {
        guard let migration = Migrations.all.first(where: { $0.name == name }) else { return }
        try write { db in
            for sql in migration.down { try db.execute(sql: sql) }
            try db.execute(sql: "DELETE FROM custctl_migrations WHERE name = ?", arguments: [name])
            try SQLiteBackend.markSchema(db, current: false)
        }
    }

    func dropBookkeeping() throws {
        try write { db in
            for table in Migrations.bookkeepingTables {
                try db.execute(sql: "DROP TABLE IF EXISTS " + table.quotedDatabaseIdentifier)
            }
            try SQLiteBackend.markSchema(db, current: false)
        }
    }

    func mark(_ environment: DatabaseEnvironment, from previous: DatabaseEnvironment?, actor: Actor) throws {
        let instant = now
        try write { db in
            try db.execute(
                sql: "UPDATE custctl_settings SET value = ? WHERE key = 'environment'",
                arguments: [environment.rawValue])
            try SQLiteAuditRecords(db: db).append(
                NewAuditEntry(
                    actor: actor, action: "environment.mark",
                    details: [("from", .optional(previous?.rawValue)), ("to", .string(environment.rawValue))]),
                at: instant)
        }
    }

    func holdsLegacyArchive() throws -> Bool {
        try read { try $0.tableExists("legacy_archive") }
    }

    /// Runs `body` holding the schema lock (no lock is needed for an in-memory database).
    func withSchemaLock<T>(_ body: () throws -> T) throws -> T {
        guard let path else { return try body() }
        let lock = try SchemaLock(databasePath: path, timeout: options.busyTimeout)
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }

    /// Writes a consistent copy next to the database (mode 0600) when any table holds a row, then keeps
    /// the newest three backups of its naming (older ones are deleted and named to `progress`).
    func backupIfHoldsData(_ progress: (String) -> Void) throws -> String? {
        guard let path else { return nil }
        let holdsData = try read { db -> Bool in
            for table in try SQLiteBackend.tableNames(db) where !Migrations.bookkeepingTables.contains(table) {
                let probe = "SELECT EXISTS (SELECT 1 FROM " + table.quotedDatabaseIdentifier + ")"
                if try Bool.fetchOne(db, sql: probe) == true { return true }
            }
            return false
        }
        guard holdsData else { return nil }
        let written = try backup(nextTo: path)
        for old in DatabaseFile.pruneBackups(of: path) { progress("removed old backup \(old)") }
        return written
    }

    /// Copies the database with `VACUUM INTO` to `<path>.backup-<UTC time>` created 0600.
    func backup(nextTo path: String) throws -> String {
        let candidate = DatabaseFile.newBackupPath(for: path, at: now)
        // Created new and private first (SPEC 5.7); VACUUM INTO then fills the empty file, and the file
        // is checked to be the one created here, so a file swapped in meanwhile is never reported as
        // the backup.
        let file = try SecretFile(creating: candidate, database: nil)
        do {
            try withoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [candidate]) }
        } catch {
            file.discard()
            throw error
        }
        guard file.isStillAtPath else {
            throw StoreError.unusable(path: candidate, reason: "the backup file was replaced while it was written")
        }
        return candidate
    }
}
