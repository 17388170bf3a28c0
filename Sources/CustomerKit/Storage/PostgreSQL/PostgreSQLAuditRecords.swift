import Foundation

/// `audit_log` on PostgreSQL.
struct PostgreSQLAuditRecords: AuditRecords {
    let tx: PostgreSQLTransaction
    private var s: String { tx.s }

    static let columns = "id, actor, os_user, action, customer_id, subject, details, created_at"

    static func entry(_ row: PQRow) throws -> AuditEntry {
        AuditEntry(
            id: try row.int64(0), actor: try row.string(1), osUser: try row.optionalString(2),
            action: try row.string(3), customerId: try row.optionalInt64(4), subject: try row.optionalString(5),
            details: try row.json(6), createdAt: try row.instant(7))
    }

    func append(_ entry: NewAuditEntry, at instant: Date) throws {
        try tx.query(
            """
            INSERT INTO \(s).audit_log (actor, os_user, action, customer_id, subject, details, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            [
                entry.actor.name, entry.actor.osUser, entry.action, entry.customerId, entry.subject,
                JSONValue.object(entry.details), instant,
            ])
    }

    func list(_ query: AuditQuery) throws -> Paged<AuditEntry> {
        var filter = PQFilter()
        if let customerId = query.customerId { filter.add(customerId) { "customer_id = \($0)" } }
        if let action = query.action {
            // The action itself, or with no dot in it the whole group (`credits` is every `credits.` action).
            filter.add(action) {
                "(action = \($0)::text OR (strpos(\($0)::text, '.') = 0 "
                    + "AND substr(action, 1, length(\($0)::text) + 1) = \($0)::text || '.'))"
            }
        }
        if let since = query.since { filter.add(since) { "created_at >= \($0)" } }
        if let afterId = query.page.afterId { filter.add(afterId) { "id < \($0)" } }
        let limit = query.page.fetchLimit.map { " LIMIT \($0)" } ?? ""
        let rows = try tx.query(
            "SELECT \(Self.columns) FROM \(s).audit_log\(filter.clause) ORDER BY id DESC\(limit)", filter.parameters)
        return query.page.cut(try rows.rows.map(Self.entry), id: \.id)
    }

    func erasure(fingerprint: String) throws -> ErasureRecord? {
        try tx.query(
            """
            SELECT customer_id, created_at FROM \(s).audit_log
            WHERE action = 'customer.erase' AND details ->> 'email_sha256' = $1::text
            ORDER BY id DESC LIMIT 1
            """,
            [fingerprint]
        ).first.map { ErasureRecord(customerId: try $0.int64(0), erasedAt: try $0.instant(1)) }
    }

    func wasUnlinked(customerId: Int64, _ forge: ForgeNamespace) throws -> Bool {
        try tx.query(
            """
            SELECT EXISTS (SELECT 1 FROM \(s).audit_log WHERE action = 'forge.unlink' AND customer_id = $1
              AND lower(details ->> 'forge') = lower($2::text))
            """,
            [customerId, forge.description]
        ).first?.bool(0) ?? false
    }

    func replaceSubject(customerId: Int64, _ subject: String, with replacement: String) throws {
        try tx.query(
            "UPDATE \(s).audit_log SET subject = $1 WHERE customer_id = $2 AND subject = $3",
            [replacement, customerId, subject])
    }

    func countSubject(customerId: Int64, _ subject: String) throws -> Int {
        try tx.query(
            "SELECT count(*) FROM \(s).audit_log WHERE customer_id = $1 AND subject = $2", [customerId, subject]
        ).first?.int(0) ?? 0
    }
}
