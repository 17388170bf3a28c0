import Foundation
import GRDB

extension LedgerEntry: FetchableRecord, TableRecord {
    public static let databaseTableName = "credit_transactions"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
}

/// The SQL side of one customer's ledger inside an IMMEDIATE transaction: the credit rules
/// (`CreditLedger`) run against it, so reading the balance, deciding and appending are one step that
/// other processes cannot interleave.
final class LedgerTransaction {
    let db: Database
    /// The customer as read at the start of the transaction (refreshed by `reloadCustomer`).
    private(set) var customer: Customer
    /// The transaction's instant.
    let now: Date
    let stamp: String

    init(db: Database, customer: Customer, now: Date) {
        self.db = db
        self.customer = customer
        self.now = now
        self.stamp = Timestamp.string(from: now)
    }

    /// The newest entry's balance_after (0 with no entry): one index lookup.
    func recordedBalance() throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(
                sql: "SELECT balance_after FROM credit_transactions WHERE customer_id = ? ORDER BY id DESC LIMIT 1"),
            arguments: [customer.id]) ?? 0
    }

    /// Lots with credits left, soonest-expiring first, never-expiring last (ties: oldest grant),
    /// read one at a time until `visit` returns false, so a customer with a million lots costs what
    /// one with a few does.
    func forEachOpenLot(_ visit: (CreditLot) throws -> Bool) throws {
        for sql in [
            """
            SELECT grant_id, remaining, expires_at FROM credit_lots
            WHERE customer_id = ? AND remaining > 0 AND expires_at IS NOT NULL ORDER BY expires_at, grant_id
            """,
            """
            SELECT grant_id, remaining, expires_at FROM credit_lots
            WHERE customer_id = ? AND remaining > 0 AND expires_at IS NULL ORDER BY grant_id
            """,
        ] {
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: [customer.id])
            while let row = try rows.next() {
                if try !visit(
                    CreditLot(grantId: row["grant_id"], remaining: row["remaining"], expiresAt: row["expires_at"]))
                {
                    return
                }
            }
        }
    }

    /// Lots whose instant has passed with credits left.
    func expiredLots() throws -> [CreditLot] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT grant_id, remaining, expires_at FROM credit_lots
                    WHERE customer_id = ? AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= ?
                    ORDER BY expires_at, grant_id
                    """),
            arguments: [customer.id, stamp]
        ).map { CreditLot(grantId: $0["grant_id"], remaining: $0["remaining"], expiresAt: $0["expires_at"]) }
    }

    /// Appends an entry with balance_after = previous + amount; grants also open a lot.
    @discardableResult
    func append(_ new: NewLedgerEntry) throws -> LedgerEntry {
        // A tampered balance near Int64.max must not trap the process (SPEC 5.8).
        let (balanceAfter, overflow) = try recordedBalance().addingReportingOverflow(new.amount)
        if overflow { throw CreditsError.balanceOutOfRange(customer.email) }
        let expiresAt = new.expiresAt.map(Timestamp.string(from:))
        let metadata = JSONValue.object(new.metadata).serialized
        try db.cachedStatement(
            sql: """
                INSERT INTO credit_transactions (customer_id, amount, balance_after, kind, source, charge_cents,
                  expires_at, idempotency_key, metadata, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            customer.id, new.amount, balanceAfter, new.kind.rawValue, new.source, new.chargeCents,
            expiresAt, new.idempotencyKey, metadata, stamp,
        ])
        let id = db.lastInsertedRowID
        // Grants and positive adjustments are credits to draw from, so they open a lot.
        if new.kind == .grant || (new.kind == .adjust && new.amount > 0) {
            try db.cachedStatement(
                sql: "INSERT INTO credit_lots (grant_id, customer_id, remaining, expires_at) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [id, customer.id, new.amount, expiresAt])
        }
        return LedgerEntry(
            id: id, customerId: customer.id, amount: new.amount, balanceAfter: balanceAfter, kind: new.kind,
            source: new.source, chargeCents: new.chargeCents, expiresAt: expiresAt, idempotencyKey: new.idempotencyKey,
            metadata: metadata, createdAt: stamp)
    }

    /// Sets what is left of a lot.
    func setRemaining(_ remaining: Int64, ofLot grantId: Int64) throws {
        try db.cachedStatement(sql: "UPDATE credit_lots SET remaining = ? WHERE grant_id = ?").execute(arguments: [
            remaining, grantId,
        ])
    }

    /// The entry carrying `key` for this customer, if any.
    func entry(idempotencyKey key: String) throws -> LedgerEntry? {
        try LedgerEntry.filter(Column("customer_id") == customer.id && Column("idempotency_key") == key).fetchOne(db)
    }

    /// The first consumption or charge of this customer for deployed fix `fixId`, if any.
    func entry(fixId: String) throws -> LedgerEntry? {
        try LedgerEntry.fetchOne(
            db,
            sql: """
                SELECT * FROM credit_transactions WHERE customer_id = ? AND kind IN ('consume', 'charge')
                  AND json_extract(metadata, '$.fix_id') = ? ORDER BY id LIMIT 1
                """,
            arguments: [customer.id, fixId])
    }

    /// Adds fixes to the customer's usage counter.
    func addUsage(_ fixes: Int64) throws {
        try db.execute(
            sql: "UPDATE customers SET current_usage = current_usage + ?, updated_at = ? WHERE id = ?",
            arguments: [fixes, stamp, customer.id])
    }

    /// Writes the billing fields of `billing` and re-reads the customer.
    func updateBilling(_ billing: BillingState) throws {
        try db.execute(
            sql: """
                UPDATE customers SET customer_type = ?, payment_method_added_at = ?, subscription_plan = ?,
                  subscription_status = ?, subscription_period_end = ?, updated_at = ?
                WHERE id = ?
                """,
            arguments: [
                billing.customerType.rawValue, billing.paymentMethodAddedAt, billing.plan.rawValue,
                billing.status.rawValue, billing.periodEnd, stamp, customer.id,
            ])
        customer = try Store.fetchCustomer(db, .id(customer.id))
    }

    /// Records an audit entry about this customer.
    func audit(_ action: String, actor: Actor, details: [(String, JSONValue)]) throws {
        try Store.audit(
            db, actor: actor, action: action, customerId: customer.id, subject: customer.emailNormalized,
            details: details, at: stamp)
    }
}

extension Store {
    /// Runs `body` on `reference`'s ledger in one IMMEDIATE transaction.
    func withLedger<T>(_ reference: CustomerReference, _ body: (LedgerTransaction) throws -> T) throws -> T {
        let instant = now
        return try write { db in
            try body(LedgerTransaction(db: db, customer: Store.fetchCustomer(db, reference), now: instant))
        }
    }

    /// The balance without writing anything: the newest balance_after less what has expired since the
    /// last write (those `expire` entries are written when the customer is next changed).
    func creditBalance(_ reference: CustomerReference) throws -> (customer: Customer, balance: Int64) {
        let stamp = Timestamp.string(from: now)
        return try read { db in
            let customer = try Store.fetchCustomer(db, reference)
            return (customer, try Store.balance(db, customerId: customer.id, at: stamp))
        }
    }

    /// The balance of one customer by email or id, reading only what it needs (the read command's
    /// hot path: one index lookup for the customer, one for the newest entry, one for expired lots).
    func creditBalanceOnly(_ reference: CustomerReference) throws -> (email: String, balance: Int64) {
        let stamp = Timestamp.string(from: now)
        return try read { db in
            let row: Row?
            switch reference {
            case .id(let id):
                row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT id, email FROM customers WHERE id = ?"), arguments: [id])
            case .email(let email):
                row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT id, email FROM customers WHERE email_normalized = ?"),
                    arguments: [email.normalized])
            }
            guard let row else { throw CustomerError.notFound(reference.description) }
            return (row[1], try Store.balance(db, customerId: row[0], at: stamp))
        }
    }

    private static func balance(_ db: Database, customerId: Int64, at stamp: String) throws -> Int64 {
        let recorded =
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: "SELECT balance_after FROM credit_transactions WHERE customer_id = ? ORDER BY id DESC LIMIT 1"),
                arguments: [customerId]) ?? 0
        let expired =
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COALESCE(SUM(remaining), 0) FROM credit_lots
                        WHERE customer_id = ? AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= ?
                        """),
                arguments: [customerId, stamp]) ?? 0
        return recorded - expired
    }

    /// Entries newest first.
    func ledgerHistory(_ reference: CustomerReference, page: Page) throws -> (Customer, Paged<LedgerEntry>) {
        try read { db in
            let customer = try Store.fetchCustomer(db, reference)
            var request = LedgerEntry.filter(Column("customer_id") == customer.id).order(Column("id").desc)
            if let afterId = page.afterId { request = request.filter(Column("id") < afterId) }
            if let limit = page.fetchLimit { request = request.limit(limit) }
            return (customer, page.cut(try request.fetchAll(db), id: \.id))
        }
    }

    /// Fixes used (consumed or charged) since `start`.
    func fixesUsed(customerId: Int64, since start: Date) throws -> Int64 {
        try read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(CASE WHEN kind = 'consume' THEN -amount
                                             ELSE COALESCE(json_extract(metadata, '$.fixes'), 0) END), 0)
                    FROM credit_transactions
                    WHERE customer_id = ? AND kind IN ('consume', 'charge') AND created_at >= ?
                    """,
                arguments: [customerId, Timestamp.string(from: start)]) ?? 0
        }
    }
}
