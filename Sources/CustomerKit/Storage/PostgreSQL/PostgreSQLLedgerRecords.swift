import Foundation

/// `credit_transactions` and `credit_lots` on PostgreSQL. The triggers of migration 004 keep the chain
/// (`balance_after`) and forbid updates and deletes. Every method naming a customer first locks the
/// customer's row in a write transaction (once per transaction), so two processes changing one
/// customer's credits serialise and read each other's entries, as SQLite's single writer does.
struct PostgreSQLLedgerRecords: LedgerRecords {
    let tx: PostgreSQLTransaction
    private var s: String { tx.s }

    static let columns = """
        id, customer_id, amount, balance_after, kind, source, charge_cents, expires_at, idempotency_key, metadata,
        created_at
        """

    static func entry(_ row: PQRow) throws -> LedgerEntry {
        LedgerEntry(
            id: try row.int64(0), customerId: try row.int64(1), amount: try row.int64(2),
            balanceAfter: try row.int64(3), kind: try row.enumeration(4), source: try row.string(5),
            chargeCents: try row.optionalInt64(6), expiresAt: try row.optionalInstant(7),
            idempotencyKey: try row.optionalString(8), metadata: try row.json(9), createdAt: try row.instant(10))
    }

    static func lot(_ row: PQRow) throws -> CreditLot {
        CreditLot(grantId: try row.int64(0), remaining: try row.int64(1), expiresAt: try row.optionalInstant(2))
    }

    func recordedBalance(customerId: Int64) throws -> Int64 {
        try tx.lockCustomer(customerId)
        return try tx.query(
            "SELECT balance_after FROM \(s).credit_transactions WHERE customer_id = $1 ORDER BY id DESC LIMIT 1",
            [customerId]
        ).first?.int64(0) ?? 0
    }

    func expiredRemaining(customerId: Int64, at instant: Date) throws -> Int64 {
        try tx.lockCustomer(customerId)
        return try tx.query(
            """
            SELECT COALESCE(sum(remaining), 0)::bigint FROM \(s).credit_lots
            WHERE customer_id = $1 AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= $2
            """,
            [customerId, instant]
        ).first?.int64(0) ?? 0
    }

    func forEachOpenLot(customerId: Int64, _ visit: (CreditLot) throws -> Bool) throws {
        try tx.lockCustomer(customerId)
        // Soonest-expiring first, never-expiring last, ties by the oldest grant (SQLite reads the two
        // groups with two statements).
        let rows = try tx.query(
            """
            SELECT grant_id, remaining, expires_at FROM \(s).credit_lots
            WHERE customer_id = $1 AND remaining > 0 ORDER BY expires_at ASC NULLS LAST, grant_id
            """,
            [customerId])
        for row in rows.rows {
            if try !visit(try Self.lot(row)) { return }
        }
    }

    func expiredLots(customerId: Int64, at instant: Date) throws -> [CreditLot] {
        try tx.lockCustomer(customerId)
        return try tx.query(
            """
            SELECT grant_id, remaining, expires_at FROM \(s).credit_lots
            WHERE customer_id = $1 AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= $2
            ORDER BY expires_at, grant_id
            """,
            [customerId, instant]
        ).rows.map(Self.lot)
    }

    func append(customerId: Int64, _ new: NewLedgerEntry, balanceAfter: Int64, at instant: Date) throws -> LedgerEntry {
        try tx.lockCustomer(customerId)
        guard
            let row = try tx.query(
                """
                INSERT INTO \(s).credit_transactions (customer_id, amount, balance_after, kind, source, charge_cents,
                  expires_at, idempotency_key, metadata, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING \(Self.columns)
                """,
                [
                    customerId, new.amount, balanceAfter, new.kind.rawValue, new.source, new.chargeCents,
                    new.expiresAt, new.idempotencyKey, JSONValue.object(new.metadata), instant,
                ]
            ).first
        else { throw InvariantError("the appended ledger entry was not returned") }
        let entry = try Self.entry(row)
        if new.opensLot {
            try tx.query(
                """
                INSERT INTO \(s).credit_lots (grant_id, customer_id, remaining, expires_at)
                VALUES ($1, $2, $3, $4::timestamptz)
                """,
                [entry.id, customerId, new.amount, new.expiresAt])
        }
        return entry
    }

    func setRemaining(_ remaining: Int64, ofLot grantId: Int64) throws {
        try tx.query("UPDATE \(s).credit_lots SET remaining = $1 WHERE grant_id = $2", [remaining, grantId])
    }

    func entry(customerId: Int64, idempotencyKey: String) throws -> LedgerEntry? {
        try tx.lockCustomer(customerId)
        return try tx.query(
            "SELECT \(Self.columns) FROM \(s).credit_transactions WHERE customer_id = $1 AND idempotency_key = $2",
            [customerId, idempotencyKey]
        ).first.map(Self.entry)
    }

    func entry(customerId: Int64, fixId: String) throws -> LedgerEntry? {
        try tx.lockCustomer(customerId)
        return try tx.query(
            """
            SELECT \(Self.columns) FROM \(s).credit_transactions WHERE customer_id = $1 AND kind IN ('consume', 'charge')
              AND metadata ->> 'fix_id' = $2::text ORDER BY id LIMIT 1
            """,
            [customerId, fixId]
        ).first.map(Self.entry)
    }

    func history(customerId: Int64, page: Page) throws -> Paged<LedgerEntry> {
        try tx.lockCustomer(customerId)
        let rows = try tx.query(
            """
            SELECT \(Self.columns) FROM \(s).credit_transactions
            WHERE customer_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3::bigint
            """,
            [customerId, page.afterId, page.fetchLimit])
        return page.cut(try rows.rows.map(Self.entry), id: \.id)
    }

    func fixesUsed(customerId: Int64, since start: Date) throws -> Int64 {
        try tx.lockCustomer(customerId)
        return try tx.query(
            """
            SELECT COALESCE(sum(CASE WHEN kind = 'consume' THEN -amount
                                     ELSE COALESCE((metadata ->> 'fixes')::numeric, 0) END), 0)::bigint
            FROM \(s).credit_transactions
            WHERE customer_id = $1 AND kind IN ('consume', 'charge') AND created_at >= $2
            """,
            [customerId, start]
        ).first?.int64(0) ?? 0
    }
}
