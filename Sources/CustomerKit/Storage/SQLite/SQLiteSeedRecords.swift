import Foundation
import GRDB

/// `seed_runs` and `seed_customers` on SQLite.
struct SQLiteSeedRecords: SeedRecords {
    let db: Database

    func beginRun(_ id: String, actor: Actor, at instant: Date) throws {
        try db.run(
            "INSERT OR IGNORE INTO seed_runs (id, started_at, actor, os_user) VALUES (?, ?, ?, ?)",
            [id, Timestamp.string(from: instant), actor.name, actor.osUser])
    }

    func recordCustomer(_ customerId: Int64, email: String, run: String) throws {
        try db.run(
            "INSERT OR REPLACE INTO seed_customers (customer_id, email_normalized, run_id) VALUES (?, ?, ?)",
            [customerId, email, run])
    }

    func deleteRuns() throws {
        try db.run("DELETE FROM seed_runs")
    }
}
