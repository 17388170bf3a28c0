import Foundation
import GRDB
import GRDBSQLite

/// The SQLite backend (GRDB): one file in WAL mode, or memory for unit tests. Its records live in the
/// `SQLite*Records.swift` files beside it; schema, legacy and doctor work in extensions.
final class SQLiteBackend: StorageBackend {
    let writer: any DatabaseWriter
    /// The database file, or nil for an in-memory store.
    let path: String?
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

    /// A fresh, fully migrated in-memory database (unit tests, and the reference schema of doctor).
    static func inMemory(options: StoreOptions = StoreOptions()) throws -> SQLiteBackend {
        let queue = try DatabaseQueue(configuration: makeConfiguration(options))
        let backend = SQLiteBackend(writer: queue, path: nil, options: options)
        try backend.createSchema()
        return backend
    }

    /// Opens the file at `path` as it is; a missing one is created (mode 0600), or with
    /// `creating: false` refused as `notFound`.
    static func openFile(path: String, options: StoreOptions, creating: Bool, forReads: Bool = false) throws
        -> SQLiteBackend
    {
        if !creating, access(path, F_OK) != 0 { throw StoreError.notFound(path: path) }
        try DatabaseFile.prepare(path)
        return try mapErrors(path: path, busyTimeout: options.busyTimeout) {
            let queue = try DatabaseQueue(path: path, configuration: makeConfiguration(options, forReads: forReads))
            return SQLiteBackend(writer: queue, path: path, options: options)
        }
    }

    /// `forReads`: an ordinary command that would not create the file changes no schema, and does
    /// without GRDB's statement authorizer. GRDB learns from it which tables a statement touches, for
    /// observing changes and for dropping its schema cache after DDL; custctl observes nothing, and such a
    /// command runs no DDL. Its callback, a Swift set union per column read, was 14% of `customer show`.
    private static func makeConfiguration(_ options: StoreOptions, forReads: Bool = false) -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(options.busyTimeout)
        config.foreignKeysEnabled = true
        config.label = "custctl"
        config.prepareDatabase { db in
            if forReads { sqlite3_set_authorizer(db.sqliteConnection, nil, nil) }
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

    // MARK: - Transactions over the records

    func readRecords<T>(_ body: (any StorageTransaction) throws -> T) throws -> T {
        let instant = now
        return try read { db in try body(SQLiteTransaction(db, now: instant)) }
    }

    func writeRecords<T>(durable: Bool, _ body: (any StorageTransaction) throws -> T) throws -> T {
        let instant = now
        return try write(durable: durable) { db in try body(SQLiteTransaction(db, now: instant)) }
    }

    // MARK: - Access with error mapping

    /// Runs `body` in an IMMEDIATE write transaction, mapping SQLite failures to domain errors.
    /// `durable: false` commits without waiting for the disk (synchronous=NORMAL): the change
    /// survives a killed process but may be lost in a power cut; for bookkeeping such as login
    /// attempts, where an fsync would double the cost of a login.
    func write<T>(durable: Bool = true, _ body: (Database) throws -> T) throws -> T {
        if let db = outer.database {
            return try mapErrors { try SQLiteBackend.inSavepoint(db, body) }
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
                guard let result else { throw InvariantError("the transaction produced no result") }
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
    func inOneTransaction<T>(_ body: () throws -> T) throws -> T {
        if outer.database != nil { return try body() }
        return try write { db in
            outer.database = db
            defer { outer.database = nil }
            return try body()
        }
    }

    /// Runs `body` so that every read it makes sees one snapshot (one read transaction that reads join).
    func inOneSnapshot<T>(_ body: () throws -> T) throws -> T {
        if outer.database != nil { return try body() }
        return try read { db in
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
        guard let result else { throw InvariantError("the savepoint produced no result") }
        return result
    }

    /// Runs `body` outside any transaction (VACUUM INTO, schema set-up in steps).
    func withoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try mapErrors { try writer.writeWithoutTransaction(body) }
    }

    func mapErrors<T>(_ body: () throws -> T) throws -> T {
        try SQLiteBackend.mapErrors(path: path ?? ":memory:", busyTimeout: options.busyTimeout, body)
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

/// The connection of the transaction `inOneTransaction` holds open. One command runs on one
/// thread, so the lock only makes the sharing explicit.
private final class OuterTransaction: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Database?

    var database: Database? {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
}
