import Foundation
import GRDB

extension APIKey: FetchableRecord, TableRecord {
    public static let databaseTableName = "api_keys"
    /// Every column but the hash.
    public static var databaseSelection: [any SQLSelectable] {
        [
            Column("id"), Column("customer_id"), Column("name"), Column("prefix"), Column("active"),
            Column("expires_at"), Column("last_used_at"), Column("revoked_at"), Column("metadata"),
            Column("created_at"),
        ]
    }

    /// Reads an `api_keys` row (never the hash); stored instants become `Date` here (see `StoredValue`).
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), customerId: try row.decode(forColumn: "customer_id"),
            name: try row.decode(forColumn: "name"), prefix: try row.decode(forColumn: "prefix"),
            active: try row.decode(forColumn: "active"), expiresAt: try row.instantIfPresent("expires_at"),
            lastUsedAt: try row.instantIfPresent("last_used_at"), revokedAt: try row.instantIfPresent("revoked_at"),
            metadata: try row.json("metadata"), createdAt: try row.instant("created_at"))
    }
}

/// `api_keys` on SQLite.
struct SQLiteAPIKeyRecords: APIKeyRecords {
    let db: Database

    func find(_ id: Int64) throws -> APIKey? {
        try APIKey.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE id = ?"), arguments: [id])
    }

    func insert(
        customerId: Int64, name: String, prefix: String, hash: String, expiresAt: Date?,
        metadata: [(String, JSONValue)], at instant: Date
    ) throws -> Int64 {
        try db.run(
            """
            INSERT INTO api_keys (customer_id, name, prefix, key_hash, expires_at, metadata, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                customerId, name, prefix, hash, expiresAt.map(Timestamp.string(from:)),
                JSONValue.object(metadata).serialized, Timestamp.string(from: instant),
            ])
        return db.lastInsertedRowID
    }

    func list(customerId: Int64?, page: Page) throws -> Paged<(key: APIKey, email: String)> {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT k.id, k.customer_id, k.name, k.prefix, k.active, k.expires_at, k.last_used_at, k.revoked_at,
                      k.metadata, k.created_at, c.email AS owner_email
                    FROM api_keys k JOIN customers c ON c.id = k.customer_id
                    WHERE (?1 IS NULL OR k.customer_id = ?1) AND k.id > ?2 ORDER BY k.id LIMIT ?3
                    """),
            arguments: [customerId, page.afterId ?? 0, page.fetchLimit ?? -1]
        ).map { (key: try APIKey(row: $0), email: try $0.decode(String.self, forColumn: "owner_email")) }
        return page.cut(rows, id: \.key.id)
    }

    func find(hash: String) throws -> APIKey? {
        try APIKey.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE key_hash = ?"), arguments: [hash])
    }

    func candidates(_ text: String, limit: Int) throws -> [(key: APIKey, email: String)] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT k.id, c.email FROM api_keys k JOIN customers c ON c.id = k.customer_id
                WHERE CAST(k.id AS TEXT) = ?1 OR (k.prefix <> '' AND (substr(?1, 1, length(k.prefix)) = k.prefix
                  OR substr(k.prefix, 1, length(?1)) = ?1))
                ORDER BY k.id LIMIT ?2
                """,
            arguments: [text, limit]
        ).compactMap { row in try find(row.decode(forColumn: "id")).map { ($0, try row.decode(forColumn: "email")) } }
    }

    func usable(hash: String, at instant: Date) throws -> (key: APIKey, hash: String, email: String)? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT k.id, k.key_hash, c.email FROM api_keys k JOIN customers c ON c.id = k.customer_id
                    WHERE k.key_hash = ? AND k.active = 1 AND k.revoked_at IS NULL
                      AND (k.expires_at IS NULL OR k.expires_at > ?) AND c.active = 1
                    """,
                arguments: [hash, Timestamp.string(from: instant)]),
            let key = try find(row.decode(forColumn: "id"))
        else { return nil }
        return (key, try row.decode(forColumn: "key_hash"), try row.decode(forColumn: "email"))
    }

    func revoke(_ id: Int64, at instant: Date) throws {
        try db.run(
            "UPDATE api_keys SET active = 0, revoked_at = ? WHERE id = ?", [Timestamp.string(from: instant), id])
    }

    func capExpiry(_ id: Int64, at instant: Date) throws {
        let stamp = Timestamp.string(from: instant)
        try db.run(
            """
            UPDATE api_keys SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > ? THEN ? ELSE expires_at END
            WHERE id = ?
            """,
            [stamp, stamp, id])
    }

    func stampUsed(_ id: Int64, at instant: Date) throws {
        try db.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [Timestamp.string(from: instant), id])
    }

    func revokeAll(customerId: Int64, at instant: Date) throws {
        try db.run(
            """
            UPDATE api_keys SET active = 0, revoked_at = COALESCE(revoked_at, ?), name = 'erased'
            WHERE customer_id = ?
            """,
            [Timestamp.string(from: instant), customerId])
    }

    func countUnrevoked(customerId: Int64) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT count(*) FROM api_keys WHERE customer_id = ? AND revoked_at IS NULL AND active",
            arguments: [customerId]) ?? 0
    }
}
