import Foundation

/// `forge_accounts` on PostgreSQL (namespaces unique case-insensitively: the index on
/// `(forge_type, lower(namespace))`). In a write transaction `find` first takes the advisory lock of the
/// namespace, so linking or unlinking one namespace serialises across processes like on SQLite.
struct PostgreSQLForgeRecords: ForgeRecords {
    let tx: PostgreSQLTransaction
    private var s: String { tx.s }

    static let columns = "f.id, f.customer_id, f.forge_type, f.namespace, f.verified_at, f.created_at"

    /// How many columns `columns` has: joined columns follow at this index.
    static let width = 6

    static func account(_ row: PQRow) throws -> ForgeAccount {
        ForgeAccount(
            id: try row.int64(0), customerId: try row.int64(1), forgeType: try row.enumeration(2),
            namespace: try row.string(3), verifiedAt: try row.optionalInstant(4), createdAt: try row.instant(5))
    }

    func find(_ forge: ForgeNamespace) throws -> ForgeAccount? {
        try tx.lock("forge:" + forge.type.rawValue + ":" + forge.namespace.lowercased())
        return try tx.query(
            """
            SELECT \(Self.columns) FROM \(s).forge_accounts f
            WHERE f.forge_type = $1 AND lower(f.namespace) = lower($2::text)\(tx.forUpdate)
            """,
            [forge.type.rawValue, forge.namespace]
        ).first.map(Self.account)
    }

    func insert(customerId: Int64, _ forge: ForgeNamespace, at instant: Date) throws {
        // ON CONFLICT keeps the transaction usable after a taken namespace (an error would abort it).
        let inserted: Int
        do {
            inserted = try tx.query(
                """
                INSERT INTO \(s).forge_accounts (customer_id, forge_type, namespace, created_at)
                VALUES ($1, $2, $3, $4) ON CONFLICT (forge_type, lower(namespace)) DO NOTHING
                """,
                [customerId, forge.type.rawValue, forge.namespace, instant]
            ).affected
        } catch let error as PQError where error.sqlState == "23505" {
            throw ForgeError.namespaceTaken(forge.description)
        }
        if inserted == 0 { throw ForgeError.namespaceTaken(forge.description) }
    }

    func delete(_ id: Int64) throws {
        try tx.query("DELETE FROM \(s).forge_accounts WHERE id = $1", [id])
    }

    func list(customerId: Int64?, page: Page) throws -> Paged<LinkedForgeAccount> {
        let accounts = try tx.query(
            """
            SELECT \(Self.columns), c.email FROM \(s).forge_accounts f JOIN \(s).customers c ON c.id = f.customer_id
            WHERE ($1::bigint IS NULL OR f.customer_id = $1::bigint) AND f.id > $2 ORDER BY f.id LIMIT $3::bigint
            """,
            [customerId, page.afterId ?? 0, page.fetchLimit]
        ).rows.map { LinkedForgeAccount(account: try Self.account($0), email: try $0.string(Self.width)) }
        return page.cut(accounts, id: \.account.id)
    }

    func names(customerId: Int64) throws -> [String] {
        try tx.query(
            "SELECT forge_type || ':' || namespace FROM \(s).forge_accounts WHERE customer_id = $1 ORDER BY id",
            [customerId]
        ).rows.map { try $0.string(0) }
    }

    func deleteAll(customerId: Int64) throws {
        try tx.query("DELETE FROM \(s).forge_accounts WHERE customer_id = $1", [customerId])
    }
}
