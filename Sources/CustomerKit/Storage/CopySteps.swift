import Foundation

// What `custctl copy` moves between backends, described once for both: custctl's tables in copy order,
// their columns by kind, and the values that cross the boundary. The SQL of each step is in
// `SQLite/SQLiteCopy.swift` and `PostgreSQL/PostgreSQLCopy.swift`; the order of the steps in
// `Copy/DatabaseCopy.swift`.

/// How a column's values are typed, whatever the backend stores.
enum CopyColumnKind: Sendable, Equatable {
    /// Whole numbers (`INTEGER`; `bigint`).
    case integer
    /// Text (`TEXT`; `text`).
    case text
    /// A flag (`INTEGER` 0/1; `boolean`).
    case boolean
    /// An instant (`TEXT` as `Timestamp.string`; `timestamptz`).
    case instant
    /// JSON, kept as the text written (`TEXT`; `json`).
    case json
}

/// One column of a copied table.
struct CopyColumn: Sendable, Equatable {
    let name: String
    let kind: CopyColumnKind
}

/// One table as `copy` moves it: its columns, the key its rows are read in order of, and whether that
/// key is a generated identity (a PostgreSQL target advances its sequence after the copy).
struct CopyTable: Sendable, Equatable {
    let name: String
    let columns: [CopyColumn]
    /// The primary key column; nil for a legacy table without a single-column key (read in storage order).
    let key: String?
    /// True when new rows get their key from the database (`id` identities).
    let identity: Bool

    init(_ name: String, key: String? = "id", identity: Bool = true, _ columns: [(String, CopyColumnKind)]) {
        self.name = name
        self.key = key
        self.identity = identity
        self.columns = columns.map { CopyColumn(name: $0.0, kind: $0.1) }
    }
}

/// One value of a copied row, as it crosses the backend boundary.
enum CopyValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case boolean(Bool)
    case instant(Date)
}

/// custctl's tables, parents first, with the columns of the current schema (the same names and kinds
/// on both backends: see `Migrations` and `PostgreSQLMigrations`). Bookkeeping (`custctl_migrations`,
/// `custctl_settings`) is not copied: the target gets its own schema, and the environment mark is
/// copied as a value.
enum CopyTables {
    static let custctl: [CopyTable] = [
        CopyTable(
            "customers",
            [
                ("id", .integer), ("name", .text), ("email", .text), ("email_normalized", .text),
                ("password_hash", .text), ("is_staff", .boolean), ("admin_level", .text), ("customer_type", .text),
                ("company_name", .text), ("active", .boolean), ("metadata", .json), ("monthly_limit", .integer),
                ("current_usage", .integer), ("trial_fixes_used", .integer), ("trial_fixes_limit", .integer),
                ("trial_expired_at", .instant), ("payment_method_added_at", .instant), ("stripe_customer_id", .text),
                ("subscription_plan", .text), ("subscription_status", .text), ("subscription_period_end", .instant),
                ("rollover_fixes", .integer), ("confirmed_at", .instant), ("last_login_at", .instant),
                ("created_at", .instant), ("updated_at", .instant), ("erased_at", .instant),
            ]),
        CopyTable(
            "api_keys",
            [
                ("id", .integer), ("customer_id", .integer), ("name", .text), ("prefix", .text), ("key_hash", .text),
                ("active", .boolean), ("expires_at", .instant), ("last_used_at", .instant), ("revoked_at", .instant),
                ("metadata", .json), ("created_at", .instant),
            ]),
        CopyTable(
            "forge_accounts",
            [
                ("id", .integer), ("customer_id", .integer), ("forge_type", .text), ("namespace", .text),
                ("verified_at", .instant), ("created_at", .instant),
            ]),
        CopyTable(
            "credit_transactions",
            [
                ("id", .integer), ("customer_id", .integer), ("amount", .integer), ("balance_after", .integer),
                ("kind", .text), ("source", .text), ("charge_cents", .integer), ("expires_at", .instant),
                ("idempotency_key", .text), ("metadata", .json), ("created_at", .instant),
            ]),
        CopyTable(
            "credit_lots", key: "grant_id", identity: false,
            [("grant_id", .integer), ("customer_id", .integer), ("remaining", .integer), ("expires_at", .instant)]),
        CopyTable(
            "login_attempts",
            [("id", .integer), ("email_normalized", .text), ("attempted_at", .instant), ("outcome", .text)]),
        CopyTable(
            "audit_log",
            [
                ("id", .integer), ("actor", .text), ("os_user", .text), ("action", .text), ("customer_id", .integer),
                ("subject", .text), ("details", .json), ("created_at", .instant),
            ]),
        CopyTable(
            "scheduled_emails",
            [
                ("id", .integer), ("customer_id", .integer), ("template", .text), ("due_at", .instant),
                ("sent_at", .instant), ("created_at", .instant),
            ]),
        CopyTable(
            "provision_requests", key: "idempotency_key", identity: false,
            [
                ("idempotency_key", .text), ("fingerprint", .text), ("customer_id", .integer), ("result", .json),
                ("created_at", .instant),
            ]),
        CopyTable(
            "seed_runs", identity: false,
            [("id", .text), ("started_at", .instant), ("actor", .text), ("os_user", .text)]),
        CopyTable(
            "seed_customers", key: "customer_id", identity: false,
            [("customer_id", .integer), ("email_normalized", .text), ("run_id", .text)]),
    ]

    /// The names of custctl's own tables, bookkeeping included (anything else is legacy or foreign).
    static var owned: Set<String> { Set(custctl.map(\.name) + Migrations.bookkeepingTables) }

    /// True for a table of a legacy consolidation's archive (`legacy_archive`, `legacy_schema`, ...).
    static func isLegacy(_ table: String) -> Bool { table.hasPrefix("legacy_") }
}

/// The steps of `custctl copy` each backend implements (`StorageBackend` includes them). Reads join
/// `inOneSnapshot`, writes join `inOneTransaction`, so the whole copy reads one state of the source and
/// writes the target in one transaction.
protocol CopySteps {
    /// Runs `body` so that every read it makes sees one snapshot of the database.
    func inOneSnapshot<T>(_ body: () throws -> T) throws -> T
    /// Every table of the database (of `--schema` on PostgreSQL), sorted.
    func copyTableNames() throws -> [String]
    /// A table custctl does not own (a `legacy_*` table) as the database declares it.
    func describeForCopy(_ table: String) throws -> CopyTable
    /// Calls `body` with the rows of `table` in key order, `batchSize` rows at a time, values in the
    /// order of `table.columns`.
    func readRows(of table: CopyTable, batchSize: Int, _ body: ([[CopyValue]]) throws -> Void) throws
    /// Counts the rows of `table`.
    func countRows(of table: String) throws -> Int
    /// Counts ledger entries whose balance_after is not the customer's previous entry (by id) plus amount.
    func countLedgerChainBreaks() throws -> Int

    /// Gets an empty database ready for the copy, before its transaction (SQLite: WAL mode).
    func prepareForCopy() throws
    /// Creates custctl's schema inside the copy's transaction (PostgreSQL: also the schema itself).
    func createSchemaForCopy() throws
    /// Creates a table described by `describeForCopy` on another database.
    func createTableForCopy(_ table: CopyTable) throws
    /// Inserts rows, values in the order of `table.columns`, ids as given.
    func insertRows(_ rows: [[CopyValue]], into table: CopyTable) throws
    /// Moves the generators of identity keys past the largest key copied, so new rows do not collide.
    func advanceIdentities(_ tables: [CopyTable]) throws
    /// Sets the environment mark (without an audit entry of its own: the copy's entry names it).
    func setEnvironmentForCopy(_ environment: DatabaseEnvironment) throws
}

/// Instants as the copy writes them to PostgreSQL: to the microsecond, rounded to the nearest (a
/// `timestamptz` written by another program may carry microseconds; custctl's own are milliseconds, read
/// back exactly by both backends).
enum CopyInstant {
    /// ISO 8601 in UTC to the nearest microsecond (PostgreSQL's precision), for `timestamptz`.
    static func microsecondText(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = String(micros - seconds * 1_000_000)
        let whole = Timestamp.string(from: Date(timeIntervalSince1970: Double(seconds) + 0.000_5)).prefix(19)
        return whole + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }
}
