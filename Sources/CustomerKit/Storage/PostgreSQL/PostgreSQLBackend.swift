import CPQ
import Foundation

/// The PostgreSQL backend (libpq, synchronous): custctl's tables in one schema of a server's database.
/// Its records live in the `PostgreSQL*Records.swift` files beside it; schema and doctor work in
/// extensions. The server's clock decides every transaction's instant, so hosts with skewed clocks agree.
final class PostgreSQLBackend: StorageBackend, @unchecked Sendable {
    let connection: PQConnection
    let target: PostgreSQLTarget
    let options: StoreOptions
    /// The schema name quoted for SQL (`"core"`).
    let schema: String
    /// How deep the open transactions are: 0 outside, 1 in a transaction, more in savepoints.
    private var depth = 0
    /// The instant of the outermost open transaction, which inner ones share.
    private var outerNow = Date.distantPast

    private init(connection: PQConnection, target: PostgreSQLTarget, options: StoreOptions) {
        self.connection = connection
        self.target = target
        self.options = options
        self.schema = PostgreSQLBackend.quote(target.schema)
    }

    /// Connects and sets the session up: `lock_timeout` from the busy timeout, UTC, and notices to
    /// `notice` (`--verbose`).
    static func connect(_ target: PostgreSQLTarget, options: StoreOptions, notice: @escaping (String) -> Void)
        throws -> PostgreSQLBackend
    {
        let connection: PQConnection
        do {
            // lock_timeout from the busy timeout (0 would mean "wait forever", so a zero busy timeout
            // waits one millisecond), sent with the connection: no round trip of its own.
            let milliseconds = max(1, Int((options.busyTimeout * 1000).rounded()))
            connection = try PQConnection.connect(
                target.conninfo,
                options: target.sessionOptions(["lock_timeout": "\(milliseconds)", "TimeZone": "UTC"]),
                timeout: target.connectTimeout, notice: notice)
        } catch let error as PQError {
            throw translateConnect(error, target: target)
        }
        return PostgreSQLBackend(connection: connection, target: target, options: options)
    }

    /// The database as messages name it (never with a password).
    var path: String? { target.displayName }

    /// The server's clock.
    var now: Date {
        (try? mapErrors { try connection.query(Self.clockQuery).first?.date(0) }) ?? Date()
    }

    private static let clockQuery = "SELECT date_trunc('milliseconds', clock_timestamp())"

    /// Quotes an identifier for SQL.
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: - Transactions over the records

    func readRecords<T>(_ body: (any StorageTransaction) throws -> T) throws -> T {
        try transaction(readOnly: true) { instant in
            try body(PostgreSQLTransaction(self, now: instant, locking: false))
        }
    }

    func writeRecords<T>(durable: Bool, _ body: (any StorageTransaction) throws -> T) throws -> T {
        try transaction(readOnly: false, durable: durable) { instant in
            try body(PostgreSQLTransaction(self, now: instant, locking: true))
        }
    }

    func inOneTransaction<T>(_ body: () throws -> T) throws -> T {
        if depth > 0 { return try body() }
        return try transaction(readOnly: false) { _ in try body() }
    }

    /// How many times a transaction that hit a serialization failure or a deadlock is run again.
    static let retries = 4

    /// Runs `body` in a transaction (a savepoint inside an open one) whose instant is the server's clock.
    /// Reads see one snapshot (REPEATABLE READ, read only); writes run at READ COMMITTED and lock the
    /// rows they read to change (the records take `FOR UPDATE` or advisory locks). Serialization failures
    /// and deadlocks run the whole transaction again a few times, then count as busy (75).
    func transaction<T>(readOnly: Bool, durable: Bool = true, _ body: (Date) throws -> T) throws -> T {
        if depth > 0 { return try savepoint(body) }
        var attempt = 0
        while true {
            do {
                return try mapErrors {
                    let begin = readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN"
                    let relaxed = durable ? "" : "SET LOCAL synchronous_commit = off; "
                    let started = try connection.run(
                        "\(begin); \(relaxed)SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint")
                    let milliseconds = Int64(started.text(0, 0)) ?? 0
                    let instant = Timestamp.instant(
                        seconds: milliseconds / 1000, nanoseconds: Int(milliseconds % 1000) * 1_000_000)
                    depth = 1
                    outerNow = instant
                    defer { depth = 0 }
                    do {
                        let result = try body(instant)
                        try connection.run("COMMIT")
                        return result
                    } catch {
                        if connection.inTransaction { _ = try? connection.run("ROLLBACK") }
                        throw error
                    }
                }
            } catch let error as RetryableConflict where attempt < Self.retries {
                _ = error
                attempt += 1
                usleep(UInt32.random(in: 1_000...(10_000 * UInt32(attempt))))
            }
        }
    }

    private func savepoint<T>(_ body: (Date) throws -> T) throws -> T {
        let name = "custctl_\(depth)"
        try mapErrors { try connection.run("SAVEPOINT \(name)") }
        depth += 1
        defer { depth -= 1 }
        do {
            let result = try body(outerNow)
            try mapErrors { try connection.run("RELEASE SAVEPOINT \(name)") }
            return result
        } catch {
            _ = try? connection.run("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)")
            throw error
        }
    }

    // MARK: - Errors

    /// Runs `body`, turning server errors into domain errors (a serialization failure or deadlock into
    /// `RetryableConflict` for `transaction` to retry).
    func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PQError {
            throw translate(error)
        }
    }

    func translate(_ error: PQError) -> Error {
        let state = error.sqlState ?? ""
        switch state {
        case "40001", "40P01": return RetryableConflict(busySeconds: options.busyTimeout)
        case "55P03", "57014": return StoreError.busy(seconds: options.busyTimeout)
        case "42501":
            return StoreError.unusable(
                path: target.displayName,
                reason: "the role lacks a privilege: \(error.message) (see docs/postgresql.md, privileges)")
        case "3F000":
            return StoreError.unusable(path: target.displayName, reason: error.message)
        case _ where state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03":
            return StoreError.unreachable(target: target.displayName, reason: error.message)
        case _ where state.hasPrefix("53") || state.hasPrefix("58") || state == "XX001" || state == "XX002":
            return StoreError.unusable(path: target.displayName, reason: error.message)
        case "":
            // libpq's own failure (the connection was lost).
            return StoreError.unreachable(target: target.displayName, reason: error.message)
        default:
            return StoreError.postgresql(state: state, message: error.message)
        }
    }

    /// A failed connection: unreachable (69), authentication (77), or no such database (74).
    static func translateConnect(_ error: PQError, target: PostgreSQLTarget) -> Error {
        let state = error.sqlState ?? ""
        if state.hasPrefix("28") || error.message.contains("no password supplied") {
            return StoreError.authenticationFailed(target: target.displayName, reason: error.message)
        }
        if state == "3D000" || state == "42501" {
            return StoreError.unusable(path: target.displayName, reason: error.message)
        }
        return StoreError.unreachable(target: target.displayName, reason: error.message)
    }
}

/// A serialization failure or deadlock: the transaction is run again, and after a few tries it is busy.
struct RetryableConflict: DomainError {
    let busySeconds: Double
    var kind: FailureKind { .tryLater }
    var code: String { StoreError.busy(seconds: busySeconds).code }
    var description: String { StoreError.busy(seconds: busySeconds).description }
}

/// One PostgreSQL transaction: the records of every aggregate over the backend's connection.
final class PostgreSQLTransaction: StorageTransaction {
    let backend: PostgreSQLBackend
    let now: Date
    /// True in a write transaction: reads of state about to change take row locks.
    let locking: Bool

    init(_ backend: PostgreSQLBackend, now: Date, locking: Bool) {
        self.backend = backend
        self.now = now
        self.locking = locking
    }

    var customers: any CustomerRecords { PostgreSQLCustomerRecords(tx: self) }
    var logins: any LoginRecords { PostgreSQLLoginRecords(tx: self) }
    var apiKeys: any APIKeyRecords { PostgreSQLAPIKeyRecords(tx: self) }
    var forgeAccounts: any ForgeRecords { PostgreSQLForgeRecords(tx: self) }
    var outbox: any OutboxRecords { PostgreSQLOutboxRecords(tx: self) }
    var ledger: any LedgerRecords { PostgreSQLLedgerRecords(tx: self) }
    var audit: any AuditRecords { PostgreSQLAuditRecords(tx: self) }
    var seedRuns: any SeedRecords { PostgreSQLSeedRecords(tx: self) }
    var provisionRequests: any ProvisionRecords { PostgreSQLProvisionRecords(tx: self) }
    var newCustomers: any NewCustomerRecords { PostgreSQLNewCustomerRecords(tx: self) }

    /// The quoted schema, for statements.
    var s: String { backend.schema }

    /// Runs a statement (see `PQConnection.query`).
    @discardableResult
    func query(_ sql: String, _ parameters: [(any PQParameter)?] = []) throws -> PQResult {
        try backend.connection.query(sql, parameters)
    }

    /// ` FOR UPDATE` in a write transaction, for reads of rows it may change.
    var forUpdate: String { locking ? " FOR UPDATE" : "" }

    /// Customers whose row this transaction has locked.
    private var lockedCustomers: Set<Int64> = []

    /// In a write transaction, locks customer `id`'s row until the transaction ends (once), so a change
    /// that reads then writes the customer's state (ledger, usage, keys) is exact across processes.
    func lockCustomer(_ id: Int64) throws {
        guard locking, !lockedCustomers.contains(id) else { return }
        try query("SELECT 1 FROM \(s).customers WHERE id = $1 FOR UPDATE", [id])
        lockedCustomers.insert(id)
    }

    /// Notes that a `FOR UPDATE` read locked customer `id` already.
    func lockedCustomer(_ id: Int64) {
        if locking { lockedCustomers.insert(id) }
    }

    /// In a write transaction, waits for and holds a lock on `key` until the transaction ends (for
    /// state that has no row to lock yet: an email's login attempts, an idempotency key).
    func lock(_ key: String) throws {
        guard locking else { return }
        try query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ["custctl:" + key])
    }
}

/// A WHERE clause built one condition at a time, each with its numbered parameter.
struct PQFilter {
    private(set) var parameters: [(any PQParameter)?] = []
    private var conditions: [String] = []

    /// Adds the condition `make` writes around the new parameter's placeholder (`$3`).
    mutating func add(_ value: any PQParameter, _ make: (String) -> String) {
        parameters.append(value)
        conditions.append(make("$\(parameters.count)"))
    }

    /// ` WHERE a AND b`, or nothing.
    var clause: String { conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ") }
}

extension PQResult {
    /// A text-format value (results of `PQConnection.run`).
    func text(_ row: Int, _ column: Int) -> String {
        guard let value = pq.getvalue(raw, Int32(row), Int32(column)) else { return "" }
        return String(cString: value)
    }
}
