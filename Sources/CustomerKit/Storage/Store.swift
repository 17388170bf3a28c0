import Foundation

/// How a store is opened; the executable fills it from flags and the environment.
public struct StoreOptions: Sendable {
    /// How long to wait for another process's lock before giving up (exit 75).
    public var busyTimeout: TimeInterval
    /// Where the core reads the time (SQLite; on PostgreSQL the server's clock decides).
    public var clock: WallClock
    /// The PostgreSQL schema holding custctl's tables.
    public var schema: String
    /// Where the PostgreSQL server's notices go (`--verbose` output).
    public var notice: @Sendable (String) -> Void

    /// Options with the SPEC defaults: a 5 second busy timeout, the system clock, schema `public`.
    public init(
        busyTimeout: TimeInterval = 5, clock: WallClock = .system, schema: String = "public",
        notice: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.busyTimeout = busyTimeout
        self.clock = clock
        self.schema = schema
        self.notice = notice
    }
}

/// A storage backend: transactions over the records (`Records.swift`), and the steps of the schema's upkeep.
/// SQLite (`SQLite/`) is the one today; PostgreSQL implements the same protocol. The steps of
/// `custctl copy` are in `CopySteps`.
protocol StorageBackend: AnyObject, Sendable, CopySteps {
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

    // MARK: Schema steps (their order is in SchemaMaintenance.swift, once for every backend)

    /// The schema state, without changing anything.
    func migrationStatus() throws -> MigrationStatus
    /// True when the database says cheaply that its schema is exactly this binary's migrations (false
    /// when it cannot say: `migrationStatus` decides).
    func hasCurrentSchemaMark() throws -> Bool
    /// Runs `body` holding the schema lock, so one process at a time changes the schema.
    func withSchemaLock<T>(_ body: () throws -> T) throws -> T
    /// Gets a new or old database ready for custctl's writes (SQLite: WAL mode; PostgreSQL: the schema).
    func prepareForWrites() throws
    /// Creates bookkeeping and every migration in one transaction (a new database is all or nothing).
    func createSchema() throws
    /// Creates custctl's bookkeeping tables when they are missing.
    func createBookkeeping() throws
    /// Applies one migration and records it, in its own transaction.
    func apply(_ migration: Migration) throws
    /// Reverts one migration and forgets it, in its own transaction.
    func revert(_ name: String) throws
    /// Removes custctl's bookkeeping tables.
    func dropBookkeeping() throws
    /// Changes the environment mark, audited as `actor`'s.
    func mark(_ environment: DatabaseEnvironment, from previous: DatabaseEnvironment?, actor: Actor) throws
    /// Writes a backup when the database holds data; returns where (nil when it holds none).
    func backupIfHoldsData(_ progress: (String) -> Void) throws -> String?
    /// Consolidates the legacy layout (SPEC 6), in one transaction.
    func consolidateLegacy(dryRun: Bool, progress: (String) -> Void) throws -> ConsolidationReport
    /// True when a consolidation's archive is there to give the legacy layout back.
    func holdsLegacyArchive() throws -> Bool
    /// Gives the legacy layout back from the archive, in one transaction.
    func restoreLegacy(dryRun: Bool) throws -> LegacyRestoreReport
    /// True when others than the owner can read the data (file modes, or grants to PUBLIC).
    var isOpenToOthers: Bool { get }
    /// Every consistency check of `custctl doctor`.
    func diagnose() throws -> DoctorReport
}

/// The handle the features work through: a backend, chosen when the database is opened.
public final class Store: @unchecked Sendable {
    let backend: any StorageBackend
    /// True when opening created custctl's schema (a new file, or a PostgreSQL schema without it).
    public private(set) var created = false

    init(backend: any StorageBackend) {
        self.backend = backend
    }

    /// Opens the database for an ordinary command. `location` is an SQLite file path or a PostgreSQL
    /// URI (`PostgreSQLTarget.isURI`). A missing file (or a PostgreSQL schema without custctl's tables) is
    /// created and migrated, or with `creating: false` (commands that only read) refused as `notFound`,
    /// so a mistyped name never looks like an empty database. A database with pending, newer or legacy
    /// schema is refused.
    public static func open(path location: String, options: StoreOptions = StoreOptions(), creating: Bool = true)
        throws -> Store
    {
        let backend = try connect(location, options: options, creating: creating, forReads: !creating)
        let store = Store(backend: backend)
        // A missing SQLite file was refused when opened; a PostgreSQL schema exists or not only here.
        store.created = try backend.ensureCurrentSchema(
            refusingEmpty: !creating && backend is PostgreSQLBackend ? location : nil)
        return store
    }

    /// Opens the database as it is, for `migrate` and `doctor`: no schema checks.
    public static func openForMaintenance(
        path location: String, options: StoreOptions = StoreOptions(), creating: Bool = true
    ) throws -> Store {
        Store(backend: try connect(location, options: options, creating: creating, forReads: false))
    }

    /// `forReads`: for a command that changes no schema (`SQLiteBackend.openFile`).
    private static func connect(_ location: String, options: StoreOptions, creating: Bool, forReads: Bool) throws
        -> any StorageBackend
    {
        if PostgreSQLTarget.isURI(location) {
            let target = try PostgreSQLTarget(uri: location, schema: options.schema)
            return try PostgreSQLBackend.connect(target, options: options, notice: options.notice)
        }
        return try SQLiteBackend.openFile(path: location, options: options, creating: creating, forReads: forReads)
    }

    /// A fresh, fully migrated in-memory database (unit tests).
    public static func inMemory(options: StoreOptions = StoreOptions()) throws -> Store {
        Store(backend: try SQLiteBackend.inMemory(options: options))
    }

    /// The database file (or the PostgreSQL URI without its password), or nil for an in-memory store.
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
