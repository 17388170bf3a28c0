import Foundation

/// `api_keys` on PostgreSQL. Reads of a key that a write transaction may go on to change (`find`,
/// `usable`) lock the key's row, so revoking, rotating and verifying one key serialise across processes.
struct PostgreSQLAPIKeyRecords: APIKeyRecords {
    let tx: PostgreSQLTransaction
    private var s: String { tx.s }

    /// Every column but the hash, of the key aliased `k`, in the order `key(_:)` reads them.
    static let columns = """
        k.id, k.customer_id, k.name, k.prefix, k.active, k.expires_at, k.last_used_at, k.revoked_at, k.metadata,
        k.created_at
        """

    /// How many columns `columns` has: joined columns follow at this index.
    static let width = 10

    static func key(_ row: PQRow) throws -> APIKey {
        APIKey(
            id: try row.int64(0), customerId: try row.int64(1), name: try row.string(2), prefix: try row.string(3),
            active: try row.bool(4), expiresAt: try row.optionalInstant(5), lastUsedAt: try row.optionalInstant(6),
            revokedAt: try row.optionalInstant(7), metadata: try row.json(8), createdAt: try row.instant(9))
    }

    /// ` FOR UPDATE OF k` in a write transaction: the key's row only, never its owner's (the customer row
    /// is the ledger's lock).
    private var forUpdateOfKey: String { tx.locking ? " FOR UPDATE OF k" : "" }

    func find(_ id: Int64) throws -> APIKey? {
        try tx.query("SELECT \(Self.columns) FROM \(s).api_keys k WHERE k.id = $1\(tx.forUpdate)", [id]).first.map(
            Self.key)
    }

    func insert(
        customerId: Int64, name: String, prefix: String, hash: String, expiresAt: Date?,
        metadata: [(String, JSONValue)], at instant: Date
    ) throws -> Int64 {
        try tx.query(
            """
            INSERT INTO \(s).api_keys (customer_id, name, prefix, key_hash, expires_at, metadata, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
            """,
            [customerId, name, prefix, hash, expiresAt, JSONValue.object(metadata), instant]
        ).first?.int64(0) ?? 0
    }

    func list(customerId: Int64?, page: Page) throws -> Paged<(key: APIKey, email: String)> {
        let rows = try tx.query(
            """
            SELECT \(Self.columns), c.email FROM \(s).api_keys k JOIN \(s).customers c ON c.id = k.customer_id
            WHERE ($1::bigint IS NULL OR k.customer_id = $1::bigint) AND k.id > $2 ORDER BY k.id LIMIT $3::bigint
            """,
            [customerId, page.afterId ?? 0, page.fetchLimit]
        ).rows.map { (key: try Self.key($0), email: try $0.string(Self.width)) }
        return page.cut(rows, id: \.key.id)
    }

    func find(hash: String) throws -> APIKey? {
        try tx.query("SELECT \(Self.columns) FROM \(s).api_keys k WHERE k.key_hash = $1\(tx.forUpdate)", [hash])
            .first.map(Self.key)
    }

    func candidates(_ text: String, limit: Int) throws -> [(key: APIKey, email: String)] {
        try tx.query(
            """
            SELECT \(Self.columns), c.email FROM \(s).api_keys k JOIN \(s).customers c ON c.id = k.customer_id
            WHERE CAST(k.id AS text) = $1::text OR (k.prefix <> '' AND (substr($1::text, 1, length(k.prefix)) = k.prefix
              OR substr(k.prefix, 1, length($1::text)) = $1::text))
            ORDER BY k.id LIMIT $2::bigint
            """,
            [text, limit]
        ).rows.map { (key: try Self.key($0), email: try $0.string(Self.width)) }
    }

    func usable(hash: String, at instant: Date) throws -> (key: APIKey, hash: String, email: String)? {
        guard
            let row = try tx.query(
                """
                SELECT \(Self.columns), k.key_hash, c.email FROM \(s).api_keys k
                JOIN \(s).customers c ON c.id = k.customer_id
                WHERE k.key_hash = $1 AND k.active AND k.revoked_at IS NULL
                  AND (k.expires_at IS NULL OR k.expires_at > $2) AND c.active\(forUpdateOfKey)
                """,
                [hash, instant]
            ).first
        else { return nil }
        return (try Self.key(row), try row.string(Self.width), try row.string(Self.width + 1))
    }

    func revoke(_ id: Int64, at instant: Date) throws {
        try tx.query("UPDATE \(s).api_keys SET active = false, revoked_at = $1 WHERE id = $2", [instant, id])
    }

    func capExpiry(_ id: Int64, at instant: Date) throws {
        try tx.query(
            """
            UPDATE \(s).api_keys
            SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > $1 THEN $1 ELSE expires_at END
            WHERE id = $2
            """,
            [instant, id])
    }

    func stampUsed(_ id: Int64, at instant: Date) throws {
        try tx.query("UPDATE \(s).api_keys SET last_used_at = $1 WHERE id = $2", [instant, id])
    }

    func revokeAll(customerId: Int64, at instant: Date) throws {
        try tx.query(
            """
            UPDATE \(s).api_keys SET active = false, revoked_at = COALESCE(revoked_at, $1), name = 'erased'
            WHERE customer_id = $2
            """,
            [instant, customerId])
    }

    func countUnrevoked(customerId: Int64) throws -> Int {
        try tx.query(
            "SELECT count(*) FROM \(s).api_keys WHERE customer_id = $1 AND revoked_at IS NULL AND active", [customerId]
        ).first?.int(0) ?? 0
    }
}
