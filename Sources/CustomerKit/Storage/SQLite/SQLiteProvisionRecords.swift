import Foundation
import GRDB

/// `provision_requests` on SQLite.
struct SQLiteProvisionRecords: ProvisionRecords {
    let db: Database

    func find(idempotencyKey: String) throws -> (fingerprint: String, result: JSONValue)? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT fingerprint, result FROM provision_requests WHERE idempotency_key = ?"),
            arguments: [idempotencyKey]
        ).map { (try $0.decode(forColumn: "fingerprint"), try $0.json("result")) }
    }

    func insert(idempotencyKey: String, fingerprint: String, customerId: Int64, result: JSONValue, at instant: Date)
        throws
    {
        try db.run(
            """
            INSERT INTO provision_requests (idempotency_key, fingerprint, customer_id, result, created_at)
            VALUES (?, ?, ?, ?, ?)
            """,
            [idempotencyKey, fingerprint, customerId, result.serialized, Timestamp.string(from: instant)])
    }

    func count(customerId: Int64) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT count(*) FROM provision_requests WHERE customer_id = ?", arguments: [customerId]) ?? 0
    }

    func delete(customerId: Int64) throws {
        try db.run("DELETE FROM provision_requests WHERE customer_id = ?", [customerId])
    }

    func deleteAll() throws {
        try db.run("DELETE FROM provision_requests")
    }
}
