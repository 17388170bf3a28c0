import Foundation

/// The environment a database is marked with; destructive commands refuse `production`.
public enum DatabaseEnvironment: String, CaseIterable, Sendable {
    case production, staging, development, test
}

/// What kind of database a file holds.
public enum DatabaseLayout: String, Sendable {
    /// No tables at all: a new database.
    case empty
    /// custctl's schema (possibly with pending migrations).
    case custctl
    /// The pre-consolidation layout (SPEC section 6).
    case legacy
    /// Tables of some other application and no custctl bookkeeping.
    case foreign
}

extension DatabaseLayout {
    /// The layout of a database (or PostgreSQL schema) holding `tables`.
    init(tables: Set<String>) {
        if tables.contains("custctl_migrations") {
            self = .custctl
        } else if tables.isEmpty {
            self = .empty
        } else if !tables.isDisjoint(with: LegacyLayout.tables) {
            self = .legacy
        } else {
            self = .foreign
        }
    }
}

/// The schema state of a database.
public struct MigrationStatus: Sendable, Equatable {
    /// What kind of database this is.
    public let layout: DatabaseLayout
    /// Migrations applied, in the order they were applied.
    public let applied: [String]
    /// Migrations this binary knows and the database lacks, in order.
    public let pending: [String]
    /// Applied migrations this binary does not know (the database is newer).
    public let unknown: [String]
    /// The environment mark; nil before custctl's bookkeeping exists.
    public let environment: DatabaseEnvironment?
    /// The tables of another application, sorted, when the layout is `.foreign`; else empty.
    public var foreignTables: [String] = []
}

/// What `migrate` did (or, on a dry run, would do).
public struct MigrationRun: Sendable, Equatable {
    /// The migrations applied (or that would be), in order.
    public let applied: [String]
    /// The backup written before the change, if any.
    public let backupPath: String?
    /// The environment mark after the run.
    public let environment: DatabaseEnvironment?
    /// True when nothing was changed on purpose.
    public let dryRun: Bool
    /// The consolidation report, when the database had the legacy layout.
    public var consolidation: ConsolidationReport? = nil
}

extension MigrationRun {
    /// What a dry run reports for a database file that does not exist yet: everything would apply.
    public static var newDatabase: MigrationRun {
        MigrationRun(applied: Migrations.all.map(\.name), backupPath: nil, environment: .development, dryRun: true)
    }
}

/// How far `migrate rollback` goes.
public enum RollbackTarget: Sendable, Equatable {
    /// Revert the newest N migrations.
    case steps(Int)
    /// Revert every migration applied after the named one.
    case to(String)
    /// Revert everything and remove custctl's bookkeeping.
    case all
}

/// What `migrate rollback` did (or would do).
public struct RollbackRun: Sendable, Equatable {
    /// The migrations reverted, newest first.
    public let reverted: [String]
    /// The backup written before the change, if any.
    public let backupPath: String?
    /// True when nothing was changed on purpose.
    public let dryRun: Bool
    /// What rolling back a legacy consolidation restored, if it did.
    public var legacy: LegacyRestoreReport? = nil
}

/// Errors of the `migrate` command family.
public enum MigrationError: DomainError, Equatable {
    /// `--to NAME` names no applied migration.
    case unknownMigration(String)
    /// The database holds migrations this binary cannot revert.
    case cannotRevertUnknown([String])
    /// The program that writes a PostgreSQL backup is not on the PATH.
    case backupToolMissing(String)
    /// The schema a PostgreSQL consolidation moves the legacy tables to exists already.
    case legacyArchiveExists(String)
    /// The legacy tables a PostgreSQL rollback would move back are not in their archive schema.
    case legacyArchiveMissing(String)

    public var kind: FailureKind {
        switch self {
        case .unknownMigration: return .usage
        case .cannotRevertUnknown, .backupToolMissing, .legacyArchiveExists, .legacyArchiveMissing:
            return .configuration
        }
    }

    public var code: String {
        switch self {
        case .unknownMigration: return "unknown_migration"
        case .cannotRevertUnknown: return "database_newer"
        case .backupToolMissing: return "backup_tool_missing"
        case .legacyArchiveExists: return "legacy_archive_exists"
        case .legacyArchiveMissing: return "legacy_archive_missing"
        }
    }

    public var description: String {
        switch self {
        case .unknownMigration(let name):
            return "no applied migration is named '\(name)'; see 'custctl migrate status'"
        case .cannotRevertUnknown(let names):
            return "cannot roll back migrations this custctl does not know (\(names.joined(separator: ", "))); "
                + "use the newer custctl that applied them"
        case .backupToolMissing(let tool):
            return "\(tool) is not on the PATH, so no backup can be written first; "
                + "install PostgreSQL's client programs (Debian: postgresql-client), or pass --no-backup"
        case .legacyArchiveExists(let schema):
            return "schema \(schema) exists already, and the consolidation keeps the legacy tables there for rollback; "
                + "rename or drop it first; nothing was changed"
        case .legacyArchiveMissing(let place):
            return "the legacy tables are not in \(place) (dropped, or the database was copied after consolidation), "
                + "so rollback cannot give them back; restore the backup taken before 'migrate' instead; "
                + "nothing was changed"
        }
    }
}

extension MigrationStatus {
    /// The environment mark; a database without custctl's bookkeeping counts as `development`.
    public var markedEnvironment: DatabaseEnvironment { environment ?? .development }

    /// Throws `productionRefused` when the database is marked production.
    func refuseProduction(_ operation: String) throws {
        if markedEnvironment == .production { throw StoreError.productionRefused(operation: operation) }
    }
}
