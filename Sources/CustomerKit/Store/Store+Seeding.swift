import GRDB

extension Store {
    /// Activates or deactivates a customer (audited); no-op when already so.
    func setActive(_ reference: CustomerReference, _ active: Bool, actor: Actor) throws -> (Customer, Bool) {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            let customer = try Store.fetchCustomer(db, reference)
            if customer.active == active { return (customer, false) }
            try db.execute(
                sql: "UPDATE customers SET active = ?, updated_at = ? WHERE id = ?",
                arguments: [active, stamp, customer.id])
            try Store.audit(
                db, actor: actor, action: active ? "customer.activate" : "customer.deactivate", customerId: customer.id,
                subject: customer.emailNormalized, details: [], at: stamp)
            return (try Store.fetchCustomer(db, .id(customer.id)), true)
        }
    }

    /// Changes name, company or type (audited); nil leaves a field as it is.
    func updateCustomer(
        _ reference: CustomerReference, name: String?, company: String?, type: CustomerType?, actor: Actor
    ) throws -> (Customer, Bool) {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            let before = try Store.fetchCustomer(db, reference)
            let after = (name ?? before.name, company ?? before.companyName, (type ?? before.customerType).rawValue)
            if after.0 == before.name && after.1 == before.companyName && after.2 == before.customerType.rawValue {
                return (before, false)
            }
            try db.execute(
                sql: "UPDATE customers SET name = ?, company_name = ?, customer_type = ?, updated_at = ? WHERE id = ?",
                arguments: [after.0, after.1, after.2, stamp, before.id])
            try Store.audit(
                db, actor: actor, action: "customer.update", customerId: before.id, subject: before.emailNormalized,
                details: [
                    ("name", .optional(name)), ("company", .optional(company)), ("type", .optional(type?.rawValue)),
                ], at: stamp)
            return (try Store.fetchCustomer(db, .id(before.id)), true)
        }
    }

    /// Records a seed run (SPEC 5.12: seed keeps its own record of what it made).
    func beginSeedRun(_ run: String, actor: Actor) throws {
        let stamp = Timestamp.string(from: now)
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO seed_runs (id, started_at, actor, os_user) VALUES (?, ?, ?, ?)",
                arguments: [run, stamp, actor.name, actor.osUser])
        }
    }

    /// Audits a finished seed run with its counts (SPEC 5.9).
    func auditSeedRun(_ run: String, actor: Actor, created: Int, skipped: Int, synthetic: Int) throws {
        let stamp = Timestamp.string(from: now)
        try write { db in
            try Store.audit(
                db, actor: actor, action: "seed.run", customerId: nil, subject: run,
                details: [
                    ("created", .int(Int64(created))), ("skipped", .int(Int64(skipped))),
                    ("synthetic_created", .int(Int64(synthetic))),
                ], at: stamp)
        }
    }

    /// Notes that seed run `run` created this customer, in the transaction that creates it.
    static func recordSeeded(_ db: Database, customerId: Int64, email: EmailAddress, run: String) throws {
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO seed_customers (customer_id, email_normalized, run_id) VALUES (?, ?, ?)"
        ).execute(arguments: [customerId, email.normalized, run])
    }

    /// Removes every customer a seed run recorded as its own, with their keys, forge accounts, ledger
    /// entries and outbox rows (by cascade), and the runs' records; audited. Returns how many went.
    /// Never inferred from a field a user can set: `provision --source seed` is not seed's.
    func removeSeeded(actor: Actor) throws -> Int {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            // Id and email both: an id reused after a deletion behind custctl's back is not seed's.
            try db.execute(
                sql: """
                    DELETE FROM customers WHERE id IN (SELECT s.customer_id FROM seed_customers s
                      JOIN customers c ON c.id = s.customer_id AND c.email_normalized = s.email_normalized)
                    """)
            let removed = db.changesCount
            try db.execute(sql: "DELETE FROM seed_runs")
            try Store.audit(
                db, actor: actor, action: "seed.clean", customerId: nil, subject: nil,
                details: [("customers_removed", .int(Int64(removed)))], at: stamp)
            return removed
        }
    }

    /// Wipes all customer data (customers and everything that hangs off them, login attempts,
    /// provisioning idempotency records); the audit log keeps its history. Audited.
    func wipeCustomerData(actor: Actor) throws -> Int {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            try db.execute(sql: "DELETE FROM customers")
            let removed = db.changesCount
            try db.execute(sql: "DELETE FROM login_attempts")
            try db.execute(sql: "DELETE FROM provision_requests")
            try db.execute(sql: "DELETE FROM seed_runs")
            try Store.audit(
                db, actor: actor, action: "seed.reset", customerId: nil, subject: nil,
                details: [("customers_removed", .int(Int64(removed)))], at: stamp)
            return removed
        }
    }
}
