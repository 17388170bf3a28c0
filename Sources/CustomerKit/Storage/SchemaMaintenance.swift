import Foundation

// The order of the schema's steps (`migrate`, `rollback`, creating a new database), written once for
// every backend over the steps each implements (`StorageBackend`, schema section).

extension StorageBackend {
    /// Lets an ordinary command go ahead only on a current schema; a new database gets its schema
    /// here, once, whatever the number of processes racing to create it. Returns true when it did.
    /// With `refusingEmpty` (a command that only reads) a database without tables is `notFound` instead.
    @discardableResult
    func ensureCurrentSchema(refusingEmpty location: String? = nil) throws -> Bool {
        if try hasCurrentSchemaMark() { return false }
        var status = try migrationStatus()
        var created = false
        if status.layout == .empty, let location { throw StoreError.notFound(path: path ?? location) }
        if status.layout == .empty {
            try withSchemaLock {
                status = try migrationStatus()
                if status.layout == .empty {
                    try prepareForWrites()
                    try createSchema()
                    created = true
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
        return created
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
                if !dryRun { try prepareForWrites() }
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
            try prepareForWrites()
            try createBookkeeping()
            for migration in pending {
                try apply(migration)
                progress("applied " + migration.name)
            }
            if let mark, mark != status.environment {
                try self.mark(mark, from: status.environment, actor: actor)
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
                && holdsLegacyArchive()
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
            for name in toRevert {
                try revert(name)
                progress("reverted " + name)
            }
            if target == .all { try dropBookkeeping() }
            return RollbackRun(reverted: toRevert, backupPath: backupPath, dryRun: false)
        }
    }
}
