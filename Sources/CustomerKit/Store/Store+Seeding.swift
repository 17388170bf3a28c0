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

    /// Removes every customer a seed run created, with their keys, forge accounts, ledger entries
    /// and outbox rows (by cascade); audited. Returns how many customers went.
    func removeSeeded(actor: Actor) throws -> Int {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            try db.execute(sql: "DELETE FROM customers WHERE json_extract(metadata, '$.source') = 'seed'")
            let removed = db.changesCount
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
            try Store.audit(
                db, actor: actor, action: "seed.reset", customerId: nil, subject: nil,
                details: [("customers_removed", .int(Int64(removed)))], at: stamp)
            return removed
        }
    }
}
