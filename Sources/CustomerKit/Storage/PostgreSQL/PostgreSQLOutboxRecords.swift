import Foundation

/// `scheduled_emails` on PostgreSQL. `find` locks the row in a write transaction, so marking one email
/// sent from two processes changes it once.
struct PostgreSQLOutboxRecords: OutboxRecords {
    let tx: PostgreSQLTransaction
    private var s: String { tx.s }

    static let columns = "e.id, e.customer_id, e.template, e.due_at, e.sent_at, e.created_at"

    /// How many columns `columns` has: joined columns follow at this index.
    static let width = 6

    static func email(_ row: PQRow) throws -> ScheduledEmail {
        ScheduledEmail(
            id: try row.int64(0), customerId: try row.int64(1), template: try row.string(2),
            dueAt: try row.instant(3), sentAt: try row.optionalInstant(4), createdAt: try row.instant(5))
    }

    func insert(customerId: Int64, template: String, due: Date, at instant: Date) throws {
        try tx.query(
            """
            INSERT INTO \(s).scheduled_emails (customer_id, template, due_at, created_at)
            VALUES ($1, $2, $3::timestamptz, $4)
            """,
            [customerId, template, due, instant])
    }

    func find(_ id: Int64) throws -> ScheduledEmail? {
        try tx.query("SELECT \(Self.columns) FROM \(s).scheduled_emails e WHERE e.id = $1\(tx.forUpdate)", [id])
            .first.map(Self.email)
    }

    func due(at instant: Date, page: Page) throws -> Paged<DueEmail> {
        // Keyset paging in (due_at, id) order: after the named email's place in that order.
        let due = try tx.query(
            """
            SELECT \(Self.columns), c.email, c.name FROM \(s).scheduled_emails e
            JOIN \(s).customers c ON c.id = e.customer_id
            LEFT JOIN \(s).scheduled_emails a ON a.id = $2::bigint
            WHERE e.sent_at IS NULL AND e.due_at <= $1 AND c.active
              AND ($2::bigint IS NULL OR e.due_at > a.due_at OR (e.due_at = a.due_at AND e.id > a.id))
            ORDER BY e.due_at, e.id LIMIT $3::bigint
            """,
            [instant, page.afterId, page.fetchLimit]
        ).rows.map {
            DueEmail(
                email: try Self.email($0), recipient: try $0.string(Self.width), name: try $0.string(Self.width + 1))
        }
        return page.cut(due, id: \.email.id)
    }

    func markSent(_ id: Int64, at instant: Date) throws {
        try tx.query("UPDATE \(s).scheduled_emails SET sent_at = $1 WHERE id = $2", [instant, id])
    }

    func countPending(customerId: Int64) throws -> Int {
        try tx.query(
            "SELECT count(*) FROM \(s).scheduled_emails WHERE customer_id = $1 AND sent_at IS NULL", [customerId]
        ).first?.int(0) ?? 0
    }

    func deletePending(customerId: Int64) throws {
        try tx.query("DELETE FROM \(s).scheduled_emails WHERE customer_id = $1 AND sent_at IS NULL", [customerId])
    }
}
