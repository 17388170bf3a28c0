import Foundation
import GRDB

extension AuditEntry: FetchableRecord, TableRecord {
    public static let databaseTableName = "audit_log"

    /// Reads an `audit_log` row; stored instants become `Date` here (see `StoredValue`).
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), actor: try row.decode(forColumn: "actor"),
            osUser: try row.decode(forColumn: "os_user"), action: try row.decode(forColumn: "action"),
            customerId: try row.decode(forColumn: "customer_id"), subject: try row.decode(forColumn: "subject"),
            details: try row.json("details"), createdAt: try row.instant("created_at"))
    }
}

/// `audit_log` on SQLite.
struct SQLiteAuditRecords: AuditRecords {
    let db: Database

    func append(_ entry: NewAuditEntry, at instant: Date) throws {
        try db.run(
            """
            INSERT INTO audit_log (actor, os_user, action, customer_id, subject, details, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                entry.actor.name, entry.actor.osUser, entry.action, entry.customerId, entry.subject,
                JSONValue.object(entry.details).serialized, Timestamp.string(from: instant),
            ])
    }

    func list(_ query: AuditQuery) throws -> Paged<AuditEntry> {
        var request = AuditEntry.all().order(Column("id").desc)
        if let customerId = query.customerId { request = request.filter(Column("customer_id") == customerId) }
        if let action = query.action {
            request = request.filter(
                sql: "action = ?1 OR (instr(?1, '.') = 0 AND substr(action, 1, length(?1) + 1) = ?1 || '.')",
                arguments: [action])
        }
        if let since = query.since { request = request.filter(Column("created_at") >= Timestamp.string(from: since)) }
        if let afterId = query.page.afterId { request = request.filter(Column("id") < afterId) }
        if let limit = query.page.fetchLimit { request = request.limit(limit) }
        return query.page.cut(try request.fetchAll(db), id: \.id)
    }

    func erasure(fingerprint: String) throws -> ErasureRecord? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT customer_id, created_at FROM audit_log
                WHERE action = 'customer.erase' AND json_extract(details, '$.email_sha256') = ?
                ORDER BY id DESC LIMIT 1
                """,
            arguments: [fingerprint]
        ).map {
            ErasureRecord(customerId: try $0.decode(forColumn: "customer_id"), erasedAt: try $0.instant("created_at"))
        }
    }

    func wasUnlinked(customerId: Int64, _ forge: ForgeNamespace) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'forge.unlink' AND customer_id = ?
                  AND json_extract(details, '$.forge') = ? COLLATE NOCASE)
                """,
            arguments: [customerId, forge.description]) ?? false
    }

    func replaceSubject(customerId: Int64, _ subject: String, with replacement: String) throws {
        try db.run(
            "UPDATE audit_log SET subject = ? WHERE customer_id = ? AND subject = ?",
            [replacement, customerId, subject])
    }

    func countSubject(customerId: Int64, _ subject: String) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT count(*) FROM audit_log WHERE customer_id = ? AND subject = ?",
            arguments: [customerId, subject]) ?? 0
    }
}
