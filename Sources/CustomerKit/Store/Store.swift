import Foundation
import GRDB

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

/// The one place that talks SQL. Commands reach the database only through its methods, which take
/// and return domain values, so a second backend can implement the same surface later.
public final class Store: Sendable {
    let writer: any DatabaseWriter
    /// The database file, or nil for an in-memory store.
    public let path: String?
    let options: StoreOptions
    /// The connection of an open `inOneTransaction`, which every read and write joins (as a savepoint).
    private let outer = OuterTransaction()

    init(writer: any DatabaseWriter, path: String?, options: StoreOptions) {
        self.writer = writer
        self.path = path
        self.options = options
    }

    /// The time as the injected clock tells it.
    var now: Date { options.clock.now }

    /// Opens the database for an ordinary command: a missing file is created (mode 0600) and
    /// migrated, or with `creating: false` (commands that only read) refused as `notFound`, so a
    /// mistyped path never looks like an empty database. A database with pending, newer or legacy
    /// schema is refused.
    public static func open(path: String, options: StoreOptions = StoreOptions(), creating: Bool = true) throws
        -> Store
    {
        let store = try openFile(path: path, options: options, creating: creating)
        try store.ensureCurrentSchema()
        return store
    }

    /// Opens the database as it is, for `migrate` and `doctor`: no schema checks.
    public static func openForMaintenance(
        path: String, options: StoreOptions = StoreOptions(), creating: Bool = true
    ) throws -> Store {
        try openFile(path: path, options: options, creating: creating)
    }

    /// A fresh, fully migrated in-memory database (unit tests).
    public static func inMemory(options: StoreOptions = StoreOptions()) throws -> Store {
        let queue = try DatabaseQueue(configuration: makeConfiguration(options))
        let store = Store(writer: queue, path: nil, options: options)
        try store.createSchema()
        return store
    }

    private static func openFile(path: String, options: StoreOptions, creating: Bool) throws -> Store {
        if !creating, access(path, F_OK) != 0 { throw StoreError.notFound(path: path) }
        try DatabaseFile.prepare(path)
        return try mapErrors(path: path, busyTimeout: options.busyTimeout) {
            let queue = try DatabaseQueue(path: path, configuration: makeConfiguration(options))
            return Store(writer: queue, path: path, options: options)
        }
    }

    private static func makeConfiguration(_ options: StoreOptions) -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(options.busyTimeout)
        config.foreignKeysEnabled = true
        config.label = "custctl"
        config.prepareDatabase { db in
            // Every committed change survives a power cut, not only a process crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return config
    }

    /// Puts the file in WAL mode (persistent in the file, so once is enough). Called while holding the
    /// schema lock, before custctl first writes to a file. SQLite answers a journal-mode change with
    /// SQLITE_BUSY at once, without its busy handler, while other connections are open, so this
    /// retries until the busy timeout. GRDB's own WAL set-up is not used: it writes on every open.
    func enableWAL() throws {
        guard let path else { return }
        let deadline = Date().addingTimeInterval(options.busyTimeout)
        try mapErrors {
            try writer.writeWithoutTransaction { db in
                if try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal" { return }
                while true {
                    do {
                        guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                            throw StoreError.unusable(path: path, reason: "the file system does not support WAL mode")
                        }
                        return
                    } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                        usleep(2_000)
                    }
                }
            }
        }
    }

    // MARK: - Access with error mapping

    /// Runs `body` in an IMMEDIATE write transaction, mapping SQLite failures to domain errors.
    /// `durable: false` commits without waiting for the disk (synchronous=NORMAL): the change
    /// survives a killed process but may be lost in a power cut; for bookkeeping such as login
    /// attempts, where an fsync would double the cost of a login.
    func write<T>(durable: Bool = true, _ body: (Database) throws -> T) throws -> T {
        if let db = outer.database {
            return try mapErrors { try Store.inSavepoint(db, body) }
        }
        return try mapErrors {
            try writer.writeWithoutTransaction { db in
                if !durable { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
                defer { if !durable { try? db.execute(sql: "PRAGMA synchronous = FULL") } }
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw StoreError.sqlite("transaction produced no result") }
                return result
            }
        }
    }

    /// Runs `body` in a read transaction, mapping SQLite failures to domain errors.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        if let db = outer.database { return try mapErrors { try body(db) } }
        return try mapErrors { try writer.read(body) }
    }

    /// Runs `body` so that every change it makes through this store commits together or not at all,
    /// also when the process is killed: one IMMEDIATE transaction, each inner write a savepoint.
    public func inOneTransaction<T>(_ body: () throws -> T) throws -> T {
        if outer.database != nil { return try body() }
        return try write { db in
            outer.database = db
            defer { outer.database = nil }
            return try body()
        }
    }

    private static func inSavepoint<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        var result: T?
        try db.inSavepoint {
            result = try body(db)
            return .commit
        }
        guard let result else { throw StoreError.sqlite("savepoint produced no result") }
        return result
    }

    /// Runs `body` outside any transaction (VACUUM INTO, schema set-up in steps).
    func withoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try mapErrors { try writer.writeWithoutTransaction(body) }
    }

    func mapErrors<T>(_ body: () throws -> T) throws -> T {
        try Store.mapErrors(path: path ?? ":memory:", busyTimeout: options.busyTimeout, body)
    }

    static func mapErrors<T>(path: String, busyTimeout: TimeInterval, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw translate(error, path: path, busyTimeout: busyTimeout)
        }
    }

    static func translate(_ error: DatabaseError, path: String, busyTimeout: TimeInterval) -> Error {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError.busy(seconds: busyTimeout)
        case .SQLITE_NOTADB:
            return StoreError.unusable(path: path, reason: "not an SQLite database")
        case .SQLITE_CORRUPT:
            return StoreError.unusable(path: path, reason: "database is corrupt (run 'custctl doctor')")
        case .SQLITE_IOERR, .SQLITE_FULL:
            return StoreError.unusable(path: path, reason: "I/O error: \(error.message ?? "unknown")")
        case .SQLITE_CANTOPEN:
            return StoreError.unusable(path: path, reason: "cannot open the file (missing folder or no permission)")
        case .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            return StoreError.unusable(path: path, reason: "no permission to write: \(error.message ?? "read-only")")
        default:
            return StoreError.sqlite(error.message ?? "\(error.resultCode)")
        }
    }
}

/// The connection of the transaction `Store.inOneTransaction` holds open. One command runs on one
/// thread, so the lock only makes the sharing explicit.
private final class OuterTransaction: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Database?

    var database: Database? {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
}
