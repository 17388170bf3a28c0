import Foundation
import GRDB

extension ScheduledEmail: FetchableRecord, TableRecord {
    public static let databaseTableName = "scheduled_emails"

    /// Reads a `scheduled_emails` row; stored instants become `Date` here (see `StoredValue`).
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), customerId: try row.decode(forColumn: "customer_id"),
            template: try row.decode(forColumn: "template"), dueAt: try row.instant("due_at"),
            sentAt: try row.instantIfPresent("sent_at"), createdAt: try row.instant("created_at"))
    }
}

/// `scheduled_emails` on SQLite.
struct SQLiteOutboxRecords: OutboxRecords {
    let db: Database

    func insert(customerId: Int64, template: String, due: Date, at instant: Date) throws {
        try db.run(
            "INSERT INTO scheduled_emails (customer_id, template, due_at, created_at) VALUES (?, ?, ?, ?)",
            [customerId, template, Timestamp.string(from: due), Timestamp.string(from: instant)])
    }

    func find(_ id: Int64) throws -> ScheduledEmail? {
        try ScheduledEmail.fetchOne(db, key: id)
    }

    func due(at instant: Date, page: Page) throws -> Paged<DueEmail> {
        // Keyset paging in (due_at, id) order: after the named email's place in that order.
        let due = try Row.fetchAll(
            db,
            sql: """
                SELECT e.*, c.email AS recipient, c.name AS recipient_name FROM scheduled_emails e
                JOIN customers c ON c.id = e.customer_id
                LEFT JOIN scheduled_emails a ON a.id = ?2
                WHERE e.sent_at IS NULL AND e.due_at <= ?1 AND c.active = 1
                  AND (?2 IS NULL OR e.due_at > a.due_at OR (e.due_at = a.due_at AND e.id > a.id))
                ORDER BY e.due_at, e.id LIMIT ?3
                """,
            arguments: [Timestamp.string(from: instant), page.afterId, page.fetchLimit ?? -1]
        ).map {
            DueEmail(
                email: try ScheduledEmail(row: $0), recipient: try $0.decode(forColumn: "recipient"),
                name: try $0.decode(forColumn: "recipient_name"))
        }
        return page.cut(due, id: \.email.id)
    }

    func markSent(_ id: Int64, at instant: Date) throws {
        try db.run("UPDATE scheduled_emails SET sent_at = ? WHERE id = ?", [Timestamp.string(from: instant), id])
    }

    func countPending(customerId: Int64) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT count(*) FROM scheduled_emails WHERE customer_id = ? AND sent_at IS NULL",
            arguments: [customerId]) ?? 0
    }

    func deletePending(customerId: Int64) throws {
        try db.run("DELETE FROM scheduled_emails WHERE customer_id = ? AND sent_at IS NULL", [customerId])
    }
}
