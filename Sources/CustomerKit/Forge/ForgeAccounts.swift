import Foundation

/// Forge account administration.
public struct ForgeAccounts: Sendable {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// Links `TYPE:NAMESPACE` to a customer; linking it again to the same customer changes nothing.
    public func link(_ customer: CustomerReference, _ forge: ForgeNamespace, actor: Actor) throws -> (
        account: ForgeAccount, changed: Bool
    ) {
        try store.write { tx in
            let owner = try tx.customers.fetch(customer)
            if let existing = try tx.forgeAccounts.find(forge) {
                guard existing.customerId == owner.id else { throw ForgeError.namespaceTaken(forge.description) }
                return (existing, false)
            }
            try tx.forgeAccounts.insert(customerId: owner.id, forge, at: tx.now)
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "forge.link", customerId: owner.id, subject: owner.emailNormalized,
                    details: [("forge", .string(forge.description))]), at: tx.now)
            guard let linked = try tx.forgeAccounts.find(forge) else {
                throw InvariantError("the linked forge account cannot be read back")
            }
            return (linked, true)
        }
    }

    /// Unlinks it: the removed account's id, or nil when it was unlinked before (a repeat changes
    /// nothing). An account the customer never had is `ForgeError.notFound`.
    public func unlink(_ customer: CustomerReference, _ forge: ForgeNamespace, actor: Actor) throws -> Int64? {
        try store.write { tx in
            let owner = try tx.customers.fetch(customer)
            guard let existing = try tx.forgeAccounts.find(forge), existing.customerId == owner.id else {
                // Unlinked before (the audit log says so): a repeat. Never this customer's: not found.
                if try tx.audit.wasUnlinked(customerId: owner.id, forge) { return nil }
                throw ForgeError.notFound(forge.description)
            }
            try tx.forgeAccounts.delete(existing.id)
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "forge.unlink", customerId: owner.id, subject: owner.emailNormalized,
                    details: [("forge", .string(forge.description))]), at: tx.now)
            return existing.id
        }
    }

    /// Linked accounts, optionally of one customer.
    public func list(for customer: CustomerReference?, page: Page = .all) throws -> Paged<LinkedForgeAccount> {
        try store.read { tx in
            try tx.forgeAccounts.list(customerId: customer.map { try tx.customers.fetch($0).id }, page: page)
        }
    }
}
