import Foundation
import GRDB

extension ForgeType: DatabaseValueConvertible {}

extension ForgeAccount: FetchableRecord, TableRecord {
    public static let databaseTableName = "forge_accounts"

    /// Reads a `forge_accounts` row; stored instants become `Date` here (see `StoredValue`).
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), customerId: try row.decode(forColumn: "customer_id"),
            forgeType: try row.decode(forColumn: "forge_type"), namespace: try row.decode(forColumn: "namespace"),
            verifiedAt: try row.instantIfPresent("verified_at"), createdAt: try row.instant("created_at"))
    }
}

/// `forge_accounts` on SQLite (namespaces unique case-insensitively: `COLLATE NOCASE`).
struct SQLiteForgeRecords: ForgeRecords {
    let db: Database

    func find(_ forge: ForgeNamespace) throws -> ForgeAccount? {
        try ForgeAccount.fetchOne(
            db.cachedStatement(
                sql: "SELECT * FROM forge_accounts WHERE forge_type = ? AND namespace = ? COLLATE NOCASE"),
            arguments: [forge.type.rawValue, forge.namespace])
    }

    func insert(customerId: Int64, _ forge: ForgeNamespace, at instant: Date) throws {
        do {
            try db.run(
                "INSERT INTO forge_accounts (customer_id, forge_type, namespace, created_at) VALUES (?, ?, ?, ?)",
                [customerId, forge.type.rawValue, forge.namespace, Timestamp.string(from: instant)])
        } catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE {
            throw ForgeError.namespaceTaken(forge.description)
        }
    }

    func delete(_ id: Int64) throws {
        try db.run("DELETE FROM forge_accounts WHERE id = ?", [id])
    }

    func list(customerId: Int64?, page: Page) throws -> Paged<LinkedForgeAccount> {
        let accounts = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT f.*, c.email AS owner_email FROM forge_accounts f JOIN customers c ON c.id = f.customer_id
                    WHERE (?1 IS NULL OR f.customer_id = ?1) AND f.id > ?2 ORDER BY f.id LIMIT ?3
                    """),
            arguments: [customerId, page.afterId ?? 0, page.fetchLimit ?? -1]
        ).map { LinkedForgeAccount(account: try ForgeAccount(row: $0), email: try $0.decode(forColumn: "owner_email")) }
        return page.cut(accounts, id: \.account.id)
    }

    func names(customerId: Int64) throws -> [String] {
        try String.fetchAll(
            db, sql: "SELECT forge_type || ':' || namespace FROM forge_accounts WHERE customer_id = ? ORDER BY id",
            arguments: [customerId])
    }

    func deleteAll(customerId: Int64) throws {
        try db.run("DELETE FROM forge_accounts WHERE customer_id = ?", [customerId])
    }
}
