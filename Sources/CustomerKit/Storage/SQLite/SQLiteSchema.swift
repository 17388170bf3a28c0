import Foundation
import GRDB

extension SQLiteBackend {
    static let legacyTables: Set<String> = [
        "users", "users_tokens", "customers", "api_keys", "forge_accounts", "fix_attempts",
    ]

    /// True when the database file can be read or written by group or others (custctl creates it
    /// 0600, so someone else made it so); `migrate` warns and `doctor` reports it.
    var isOpenToOthers: Bool { path.map(DatabaseFile.isOpenToOthers) ?? false }

    /// Reads the schema state without changing anything.
    func migrationStatus() throws -> MigrationStatus {
        try read { db in try SQLiteBackend.status(db) }
    }

    static func status(_ db: Database) throws -> MigrationStatus {
        let tables = Set(
            try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"))
        let layout: DatabaseLayout
        if tables.contains("custctl_migrations") {
            layout = .custctl
        } else if tables.isEmpty {
            layout = .empty
        } else if !tables.isDisjoint(with: legacyTables) {
            layout = .legacy
        } else {
            layout = .foreign
        }
        var applied: [String] = []
        var environment: DatabaseEnvironment?
        if layout == .custctl {
            applied = try String.fetchAll(db, sql: "SELECT name FROM custctl_migrations ORDER BY rowid")
            if tables.contains("custctl_settings") {
                let mark = try String.fetchOne(db, sql: "SELECT value FROM custctl_settings WHERE key = 'environment'")
                environment = mark.flatMap(DatabaseEnvironment.init(rawValue:)) ?? .development
            }
        }
        let known = Set(Migrations.all.map(\.name))
        let appliedSet = Set(applied)
        return MigrationStatus(
            layout: layout,
            applied: applied,
            pending: Migrations.all.map(\.name).filter { !appliedSet.contains($0) },
            unknown: applied.filter { !known.contains($0) },
            environment: environment,
            foreignTables: layout == .foreign ? tables.sorted() : [])
    }

    /// Lets an ordinary command go ahead only on a current schema; a new database gets its schema
    /// here, once, whatever the number of processes racing to create it.
    func ensureCurrentSchema() throws {
        var status = try migrationStatus()
        if status.layout == .empty {
            try withSchemaLock {
                status = try migrationStatus()
                if status.layout == .empty {
                    try enableWAL()
                    try createSchema()
                    status = try migrationStatus()
                }
            }
        }
        switch status.layout {
        case .legacy: throw StoreError.legacyLayout
        case .foreign: throw StoreError.foreignDatabase(tables: status.foreignTables)
        case .empty: throw StoreError.migrationsPending(Migrations.all.map(\.name))
        case .custctl: break
        }
        if !status.unknown.isEmpty { throw StoreError.newerSchema(status.unknown) }
        if !status.pending.isEmpty { throw StoreError.migrationsPending(status.pending) }
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

    /// Applies one migration and records it.
    static func apply(_ migration: Migration, in db: Database, stamp: String) throws {
        for sql in migration.up { try db.execute(sql: sql) }
        try db.execute(
            sql: "INSERT INTO custctl_migrations (name, applied_at) VALUES (?, ?)", arguments: [migration.name, stamp])
    }

    /// Applies every pending migration, each in its own transaction, after a backup of a database
    /// that holds data; `progress` hears what happened, step by step. A legacy database is
    /// consolidated instead, in one transaction. A change of the environment mark is audited as
    /// `actor`'s; it writes no backup. Another application's database is refused.
    func migrate(
        dryRun: Bool = false, backup: Bool = true, mark: DatabaseEnvironment? = nil, actor: Actor,
        progress: (String) -> Void = { _ in }
    ) throws -> MigrationRun {
        try withSchemaLock {
            let status = try migrationStatus()
            if status.layout == .foreign { throw StoreError.foreignDatabase(tables: status.foreignTables) }
            if status.layout == .legacy {
                let backupPath = backup && !dryRun ? try backupIfHoldsData(progress) : nil
                if !dryRun { try enableWAL() }
                var run = MigrationRun(
                    applied: Migrations.all.map(\.name), backupPath: backupPath,
                    environment: dryRun ? nil : .production, dryRun: dryRun)
                run.consolidation = try consolidateLegacy(dryRun: dryRun, progress: progress)
                return run
            }
            if !status.unknown.isEmpty { throw StoreError.newerSchema(status.unknown) }
            let pending = Migrations.all.filter { status.pending.contains($0.name) }
            let changes = !pending.isEmpty || (mark != nil && mark != status.environment)
            if dryRun || !changes {
                return MigrationRun(
                    applied: pending.map(\.name), backupPath: nil,
                    environment: mark ?? status.environment, dryRun: dryRun)
            }
            let backupPath = backup && !pending.isEmpty ? try backupIfHoldsData(progress) : nil
            try enableWAL()
            try write { db in
                for sql in Migrations.bookkeeping { try db.execute(sql: sql) }
            }
            for migration in pending {
                try write { db in try SQLiteBackend.apply(migration, in: db, stamp: Timestamp.string(from: now)) }
                progress("applied " + migration.name)
            }
            if let mark, mark != status.environment {
                let instant = now
                try write { db in
                    try db.execute(
                        sql: "UPDATE custctl_settings SET value = ? WHERE key = 'environment'",
                        arguments: [mark.rawValue])
                    try SQLiteAuditRecords(db: db).append(
                        NewAuditEntry(
                            actor: actor, action: "environment.mark",
                            details: [
                                ("from", .optional(status.environment?.rawValue)), ("to", .string(mark.rawValue)),
                            ]), at: instant)
                }
            }
            return MigrationRun(
                applied: pending.map(\.name), backupPath: backupPath,
                environment: try migrationStatus().markedEnvironment, dryRun: false)
        }
    }

    /// Reverts migrations newest first, each in its own transaction; `.all` also removes custctl's
    /// bookkeeping so no custctl table is left. Refused on a production database.
    func rollback(
        _ target: RollbackTarget, dryRun: Bool = false, backup: Bool = true,
        progress: (String) -> Void = { _ in }
    ) throws -> RollbackRun {
        try withSchemaLock {
            let status = try migrationStatus()
            if status.layout == .legacy { throw StoreError.legacyLayout }
            let newestFirst = Array(status.applied.reversed())
            let toRevert: [String]
            switch target {
            case .steps(let count):
                toRevert = Array(newestFirst.prefix(max(0, count)))
            case .to(let name):
                guard let index = newestFirst.firstIndex(of: name) else { throw MigrationError.unknownMigration(name) }
                toRevert = Array(newestFirst[..<index])
            case .all:
                toRevert = newestFirst
            }
            let unknown = toRevert.filter { status.unknown.contains($0) }
            if !unknown.isEmpty { throw MigrationError.cannotRevertUnknown(unknown) }
            // The consolidation cannot be reverted alone: it gives the legacy database back whole. A dry
            // run restores it too, in a transaction it then rolls back, so it reports exactly what the
            // real run would (SPEC 9: honest dry runs).
            let restoresLegacy =
                try status.layout == .custctl && toRevert.contains(LegacyLayout.consolidationMigration)
                && read { try $0.tableExists("legacy_archive") }
            if restoresLegacy && dryRun {
                var run = RollbackRun(reverted: newestFirst, backupPath: nil, dryRun: true)
                run.legacy = try restoreLegacy(dryRun: true)
                return run
            }
            if dryRun || status.layout != .custctl || (toRevert.isEmpty && target != .all) {
                return RollbackRun(reverted: toRevert, backupPath: nil, dryRun: dryRun)
            }
            try status.refuseProduction("roll back migrations")
            let backupPath = backup ? try backupIfHoldsData(progress) : nil
            if restoresLegacy {
                var run = RollbackRun(reverted: newestFirst, backupPath: backupPath, dryRun: false)
                run.legacy = try restoreLegacy(dryRun: false)
                progress("restored the legacy layout")
                return run
            }
            let byName = Dictionary(uniqueKeysWithValues: Migrations.all.map { ($0.name, $0) })
            for name in toRevert {
                guard let migration = byName[name] else { continue }
                try write { db in
                    for sql in migration.down { try db.execute(sql: sql) }
                    try db.execute(sql: "DELETE FROM custctl_migrations WHERE name = ?", arguments: [name])
                }
                progress("reverted " + name)
            }
            if target == .all {
                try write { db in
                    for table in Migrations.bookkeepingTables {
                        try db.execute(sql: "DROP TABLE IF EXISTS " + table.quotedDatabaseIdentifier)
                    }
                }
            }
            return RollbackRun(reverted: toRevert, backupPath: backupPath, dryRun: false)
        }
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
            let tables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
            for table in tables where !Migrations.bookkeepingTables.contains(table) {
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
        let stamp = Timestamp.string(from: now).filter { $0.isNumber || $0 == "T" }.prefix(15)
        var candidate = "\(path).backup-\(stamp)Z"
        var attempt = 1
        while FileManager.default.fileExists(atPath: candidate) {
            attempt += 1
            candidate = "\(path).backup-\(stamp)Z-\(attempt)"
        }
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
