import Foundation
import GRDB

extension LedgerKind: DatabaseValueConvertible {}

extension LedgerEntry: FetchableRecord, TableRecord {
    public static let databaseTableName = "credit_transactions"

    /// Reads a `credit_transactions` row; stored instants become `Date` here (see `StoredValue`).
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), customerId: try row.decode(forColumn: "customer_id"),
            amount: try row.decode(forColumn: "amount"), balanceAfter: try row.decode(forColumn: "balance_after"),
            kind: try row.decode(forColumn: "kind"), source: try row.decode(forColumn: "source"),
            chargeCents: try row.decode(forColumn: "charge_cents"), expiresAt: try row.instantIfPresent("expires_at"),
            idempotencyKey: try row.decode(forColumn: "idempotency_key"),
            metadata: try row.json("metadata"),
            createdAt: try row.instant("created_at"))
    }
}

extension CreditLot {
    /// Reads a `credit_lots` row (grant_id, remaining, expires_at).
    init(row: Row) throws {
        self.init(
            grantId: try row.decode(forColumn: "grant_id"), remaining: try row.decode(forColumn: "remaining"),
            expiresAt: try row.instantIfPresent("expires_at"))
    }
}

/// `credit_transactions` and `credit_lots` on SQLite. The triggers of migration 004 keep the chain
/// (`balance_after`) and forbid updates and deletes; statements are cached, since the ledger is on
/// every hot path.
struct SQLiteLedgerRecords: LedgerRecords {
    let db: Database

    func recordedBalance(customerId: Int64) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(
                sql: "SELECT balance_after FROM credit_transactions WHERE customer_id = ? ORDER BY id DESC LIMIT 1"),
            arguments: [customerId]) ?? 0
    }

    func expiredRemaining(customerId: Int64, at instant: Date) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT COALESCE(SUM(remaining), 0) FROM credit_lots
                    WHERE customer_id = ? AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= ?
                    """),
            arguments: [customerId, Timestamp.string(from: instant)]) ?? 0
    }

    func forEachOpenLot(customerId: Int64, _ visit: (CreditLot) throws -> Bool) throws {
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
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: [customerId])
            while let row = try rows.next() {
                if try !visit(try CreditLot(row: row)) { return }
            }
        }
    }

    func expiredLots(customerId: Int64, at instant: Date) throws -> [CreditLot] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT grant_id, remaining, expires_at FROM credit_lots
                    WHERE customer_id = ? AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= ?
                    ORDER BY expires_at, grant_id
                    """),
            arguments: [customerId, Timestamp.string(from: instant)]
        ).map(CreditLot.init(row:))
    }

    func append(customerId: Int64, _ new: NewLedgerEntry, balanceAfter: Int64, at instant: Date) throws -> LedgerEntry {
        let created = StoredValue.written(instant)
        let expiresAt = new.expiresAt.map(StoredValue.written)
        let metadata = JSONValue.object(new.metadata)
        try db.run(
            """
            INSERT INTO credit_transactions (customer_id, amount, balance_after, kind, source, charge_cents,
              expires_at, idempotency_key, metadata, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                customerId, new.amount, balanceAfter, new.kind.rawValue, new.source, new.chargeCents, expiresAt?.text,
                new.idempotencyKey, metadata.serialized, created.text,
            ])
        let id = db.lastInsertedRowID
        if new.opensLot {
            try db.run(
                "INSERT INTO credit_lots (grant_id, customer_id, remaining, expires_at) VALUES (?, ?, ?, ?)",
                [id, customerId, new.amount, expiresAt?.text])
        }
        return LedgerEntry(
            id: id, customerId: customerId, amount: new.amount, balanceAfter: balanceAfter, kind: new.kind,
            source: new.source, chargeCents: new.chargeCents, expiresAt: expiresAt?.instant,
            idempotencyKey: new.idempotencyKey, metadata: metadata, createdAt: created.instant)
    }

    func setRemaining(_ remaining: Int64, ofLot grantId: Int64) throws {
        try db.run("UPDATE credit_lots SET remaining = ? WHERE grant_id = ?", [remaining, grantId])
    }

    func entry(customerId: Int64, idempotencyKey: String) throws -> LedgerEntry? {
        try LedgerEntry.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM credit_transactions WHERE customer_id = ? AND idempotency_key = ?"),
            arguments: [customerId, idempotencyKey])
    }

    func entry(customerId: Int64, fixId: String) throws -> LedgerEntry? {
        try LedgerEntry.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT * FROM credit_transactions WHERE customer_id = ? AND kind IN ('consume', 'charge')
                      AND json_extract(metadata, '$.fix_id') = ? ORDER BY id LIMIT 1
                    """),
            arguments: [customerId, fixId])
    }

    func history(customerId: Int64, page: Page) throws -> Paged<LedgerEntry> {
        var request = LedgerEntry.filter(Column("customer_id") == customerId).order(Column("id").desc)
        if let afterId = page.afterId { request = request.filter(Column("id") < afterId) }
        if let limit = page.fetchLimit { request = request.limit(limit) }
        return page.cut(try request.fetchAll(db), id: \.id)
    }

    func fixesUsed(customerId: Int64, since start: Date) throws -> Int64 {
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
