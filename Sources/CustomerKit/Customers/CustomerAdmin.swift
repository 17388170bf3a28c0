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
        return try store.updateCustomer(reference, name: name, company: company, type: type, actor: actor)
    }

    /// Activates or deactivates.
    public func setActive(_ reference: CustomerReference, _ active: Bool, actor: Actor) throws -> (Customer, Bool) {
        try store.setActive(reference, active, actor: actor)
    }
}
