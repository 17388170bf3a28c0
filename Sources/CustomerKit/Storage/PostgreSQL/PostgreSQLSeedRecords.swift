import Foundation

/// `seed_runs` and `seed_customers` on PostgreSQL.
struct PostgreSQLSeedRecords: SeedRecords {
    let tx: PostgreSQLTransaction
    private var s: String { tx.s }

    func beginRun(_ id: String, actor: Actor, at instant: Date) throws {
        try tx.query(
            """
            INSERT INTO \(s).seed_runs (id, started_at, actor, os_user) VALUES ($1, $2, $3, $4)
            ON CONFLICT (id) DO NOTHING
            """,
            [id, instant, actor.name, actor.osUser])
    }

    func recordCustomer(_ customerId: Int64, email: String, run: String) throws {
        // SQLite's INSERT OR REPLACE: the customer's row is the newest record.
        try tx.query(
            """
            INSERT INTO \(s).seed_customers (customer_id, email_normalized, run_id) VALUES ($1, $2, $3)
            ON CONFLICT (customer_id) DO UPDATE SET email_normalized = EXCLUDED.email_normalized,
              run_id = EXCLUDED.run_id
            """,
            [customerId, email, run])
    }

    func deleteRuns() throws {
        try tx.query("DELETE FROM \(s).seed_runs")
    }
}
