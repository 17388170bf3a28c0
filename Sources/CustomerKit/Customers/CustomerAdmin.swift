/// Customer administration: update fields, deactivate and activate (audited).
public struct CustomerAdmin: Sendable {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// Changes name, company or type; unchanged values change nothing.
    public func update(
        _ reference: CustomerReference, name: String?, company: String?, type: CustomerType?, actor: Actor
    ) throws -> (Customer, Bool) {
        let name = try name.map { try CustomerFields.text($0, field: "name") }
        let company = try company.map { try CustomerFields.text($0, field: "company") }
        return try store.write { tx in
            let before = try tx.customers.fetch(reference)
            let after = (
                name: name ?? before.name, company: company ?? before.companyName, type: type ?? before.customerType
            )
            if after.name == before.name && after.company == before.companyName && after.type == before.customerType {
                return (before, false)
            }
            try tx.customers.update(before.id, name: after.name, company: after.company, type: after.type)
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "customer.update", customerId: before.id, subject: before.emailNormalized,
                    details: [
                        ("name", .optional(name)), ("company", .optional(company)),
                        ("type", .optional(type?.rawValue)),
                    ]), at: tx.now)
            return (try tx.customers.fetch(.id(before.id)), true)
        }
    }

    /// Activates or deactivates; no-op when it already is.
    public func setActive(_ reference: CustomerReference, _ active: Bool, actor: Actor) throws -> (Customer, Bool) {
        try store.write { tx in try Self.setActive(reference, active, actor: actor, in: tx) }
    }

    static func setActive(_ reference: CustomerReference, _ active: Bool, actor: Actor, in tx: any StorageTransaction)
        throws -> (Customer, Bool)
    {
        let customer = try tx.customers.fetch(reference)
        if customer.active == active { return (customer, false) }
        try tx.customers.setActive(customer.id, active)
        try tx.audit.append(
            NewAuditEntry(
                actor: actor, action: active ? "customer.activate" : "customer.deactivate", customerId: customer.id,
                subject: customer.emailNormalized), at: tx.now)
        return (try tx.customers.fetch(.id(customer.id)), true)
    }
}
