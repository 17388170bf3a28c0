import Foundation

/// `provision_requests` on PostgreSQL. In a write transaction `find` first takes the advisory lock
/// `provision:KEY`, so two processes provisioning with one idempotency key serialise and the second
/// replays the first's result.
struct PostgreSQLProvisionRecords: ProvisionRecords {
    let tx: PostgreSQLTransaction
    private var s: String { tx.s }

    func find(idempotencyKey: String) throws -> (fingerprint: String, result: JSONValue)? {
        try tx.lock("provision:" + idempotencyKey)
        guard
            let row = try tx.query(
                "SELECT fingerprint, result FROM \(s).provision_requests WHERE idempotency_key = $1", [idempotencyKey]
            ).first
        else { return nil }
        return (try row.string(0), try row.json(1))
    }

    func insert(idempotencyKey: String, fingerprint: String, customerId: Int64, result: JSONValue, at instant: Date)
        throws
    {
        try tx.query(
            """
            INSERT INTO \(s).provision_requests (idempotency_key, fingerprint, customer_id, result, created_at)
            VALUES ($1, $2, $3, $4, $5)
            """,
            [idempotencyKey, fingerprint, customerId, result, instant])
    }

    func count(customerId: Int64) throws -> Int {
        try tx.query("SELECT count(*) FROM \(s).provision_requests WHERE customer_id = $1", [customerId]).first?
            .int(0) ?? 0
    }

    func delete(customerId: Int64) throws {
        try tx.query("DELETE FROM \(s).provision_requests WHERE customer_id = $1", [customerId])
    }

    func deleteAll() throws {
        try tx.query("DELETE FROM \(s).provision_requests")
    }
}
