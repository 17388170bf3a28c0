import Foundation

/// How a store is opened; the executable fills it from flags and the environment.
public struct StoreOptions: Sendable {
    /// How long to wait for another process's lock before giving up (exit 75).
    public var busyTimeout: TimeInterval
    /// Where the core reads the time.
    public var clock: WallClock

    /// Options with the SPEC defaults: a 5 second busy timeout and the system clock.
    public init(busyTimeout: TimeInterval = 5, clock: WallClock = .system) {
        self.busyTimeout = busyTimeout
        self.clock = clock
    }
}

/// A storage backend: transactions over the records (`Records.swift`), and the schema's upkeep.
/// SQLite (`SQLite/`) is the one today; PostgreSQL implements the same protocol.
protocol StorageBackend: AnyObject, Sendable {
    /// Where the data lives, for messages (a file path), or nil in memory.
    var path: String? { get }
    /// The time as the injected clock tells it, for work outside a transaction.
    var now: Date { get }
    /// Runs `body` in a read transaction.
    func readRecords<T>(_ body: (any StorageTransaction) throws -> T) throws -> T
    /// Runs `body` in a write transaction that locks what it reads against other writers. With
    /// `durable: false` the commit may skip waiting for the disk (bookkeeping such as login attempts).
    func writeRecords<T>(durable: Bool, _ body: (any StorageTransaction) throws -> T) throws -> T
    /// Runs `body` so that every transaction it opens joins one (inner writes as savepoints).
    func inOneTransaction<T>(_ body: () throws -> T) throws -> T

    /// The schema state, without changing anything.
    func migrationStatus() throws -> MigrationStatus
    /// Creates the schema of a new database; refuses a pending, newer, legacy or foreign one.
    func ensureCurrentSchema() throws
    func migrate(
        dryRun: Bool, backup: Bool, mark: DatabaseEnvironment?, actor: Actor, progress: (String) -> Void
    ) throws -> MigrationRun
    func rollback(_ target: RollbackTarget, dryRun: Bool, backup: Bool, progress: (String) -> Void) throws
        -> RollbackRun
    /// True when others than the owner can read the data (file modes, or grants to PUBLIC).
    var isOpenToOthers: Bool { get }
    /// Every consistency check of `custctl doctor`.
    func diagnose() throws -> DoctorReport
}

/// The handle the features work through: a backend, chosen when the database is opened.
public final class Store: Sendable {
    let backend: any StorageBackend

    init(backend: any StorageBackend) {
        self.backend = backend
    }

    /// Opens the database for an ordinary command: a missing file is created (mode 0600) and
    /// migrated, or with `creating: false` (commands that only read) refused as `notFound`, so a
    /// mistyped path never looks like an empty database. A database with pending, newer or legacy
    /// schema is refused.
    public static func open(path: String, options: StoreOptions = StoreOptions(), creating: Bool = true) throws
        -> Store
    {
        let backend = try SQLiteBackend.openFile(path: path, options: options, creating: creating)
        try backend.ensureCurrentSchema()
        return Store(backend: backend)
    }

    /// Opens the database as it is, for `migrate` and `doctor`: no schema checks.
    public static func openForMaintenance(
        path: String, options: StoreOptions = StoreOptions(), creating: Bool = true
    ) throws -> Store {
        Store(backend: try SQLiteBackend.openFile(path: path, options: options, creating: creating))
    }

    /// A fresh, fully migrated in-memory database (unit tests).
    public static func inMemory(options: StoreOptions = StoreOptions()) throws -> Store {
        Store(backend: try SQLiteBackend.inMemory(options: options))
    }

    /// The database file, or nil for an in-memory store.
    public var path: String? { backend.path }

    /// The time as the injected clock tells it.
    var now: Date { backend.now }

    /// Runs `body` in a read transaction.
    func read<T>(_ body: (any StorageTransaction) throws -> T) throws -> T {
        try backend.readRecords(body)
    }

    /// Runs `body` in a write transaction (see `StorageBackend.writeRecords`).
    func write<T>(durable: Bool = true, _ body: (any StorageTransaction) throws -> T) throws -> T {
        try backend.writeRecords(durable: durable, body)
    }

    /// Runs `body` so that every change it makes through this store commits together or not at all,
    /// also when the process is killed.
    public func inOneTransaction<T>(_ body: () throws -> T) throws -> T {
        try backend.inOneTransaction(body)
    }

    // MARK: - Schema

    /// True when others than the owner can read the data; `migrate` warns and `doctor` reports it.
    public var isOpenToOthers: Bool { backend.isOpenToOthers }

    /// Reads the schema state without changing anything.
    public func migrationStatus() throws -> MigrationStatus {
        try backend.migrationStatus()
    }

    /// The environment mark (a database without bookkeeping counts as `development`).
    public func environment() throws -> DatabaseEnvironment {
        try migrationStatus().markedEnvironment
    }

    /// Throws `productionRefused` when the database is marked production.
    public func refuseProduction(_ operation: String) throws {
        try migrationStatus().refuseProduction(operation)
    }

    /// Applies every pending migration, each in its own transaction, after a backup of a database
    /// that holds data; a legacy database is consolidated instead, in one transaction. A change of the
    /// environment mark is audited as `actor`'s; it writes no backup. Another application's database
    /// is refused.
    public func migrate(
        dryRun: Bool = false, backup: Bool = true, mark: DatabaseEnvironment? = nil, actor: Actor,
        progress: (String) -> Void = { _ in }
    ) throws -> MigrationRun {
        try backend.migrate(dryRun: dryRun, backup: backup, mark: mark, actor: actor, progress: progress)
    }

    /// Reverts migrations newest first; `.all` also removes custctl's bookkeeping. Refused on a
    /// production database.
    public func rollback(
        _ target: RollbackTarget, dryRun: Bool = false, backup: Bool = true, progress: (String) -> Void = { _ in }
    ) throws -> RollbackRun {
        try backend.rollback(target, dryRun: dryRun, backup: backup, progress: progress)
    }
}
