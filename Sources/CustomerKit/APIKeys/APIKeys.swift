import Foundation

/// API key administration (SPEC 5.5): create, list, revoke, rotate with overlap, verify.
public struct APIKeys: Sendable {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// Issues a new key for a customer; the plaintext is returned once and never stored.
    public func create(for customer: CustomerReference, name: String = "Default", expiresAt: Date? = nil, actor: Actor)
        throws -> IssuedAPIKey
    {
        let name = try CustomerFields.text(name, field: "key name")
        if let expiresAt, expiresAt <= store.now { throw APIKeyError.invalidExpiry(Timestamp.string(from: expiresAt)) }
        let plaintext = APIKeyFormat.generate()
        let key = try store.insertAPIKey(customer, plaintext: plaintext, name: name, expiresAt: expiresAt, actor: actor)
        return IssuedAPIKey(key: key, plaintext: plaintext)
    }

    /// Keys (never their secrets) with their owners' emails and statuses, optionally of one customer.
    public func list(for customer: CustomerReference?, page: Page = .all) throws -> Paged<ListedAPIKey> {
        let now = store.now
        let keys = try store.apiKeys(of: customer, page: page)
        return Paged(
            items: keys.map { ListedAPIKey(key: $0.key, customerEmail: $0.email, status: $0.key.status(at: now)) },
            nextAfterId: keys.nextAfterId)
    }

    /// The one key `reference` names (SPEC 5.5): the whole key names exactly its key; otherwise an id
    /// or a prefix that matches several keys is refused with the candidates, never picked.
    public func resolve(_ reference: APIKeyReference) throws -> APIKey {
        guard case .text(let text) = reference else { return try store.apiKey(reference) }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw APIKeyError.notFound(reference.description) }
        let matches = try store.apiKeyMatches(trimmed)
        if let exact = matches.byHash { return exact }
        guard let only = matches.candidates.first else { throw APIKeyError.notFound(reference.description) }
        guard matches.candidates.count == 1, let key = matches.keys[only.id] else {
            throw APIKeyError.ambiguous(trimmed, candidates: matches.candidates)
        }
        return key
    }

    /// Revokes a key at once; revoking again changes nothing.
    public func revoke(_ reference: APIKeyReference, actor: Actor) throws -> (key: APIKey, changed: Bool) {
        try store.revokeAPIKey(.id(resolve(reference).id), actor: actor)
    }

    /// Issues a replacement (same customer and name) that keeps the old key's expiry unless
    /// `expiresAt` says otherwise; the old key keeps working for `overlap` seconds (0: it stops now).
    /// An expired or revoked key cannot be rotated: that would revive it.
    public func rotate(
        _ reference: APIKeyReference, overlap: TimeInterval, expiresAt: Date? = nil, actor: Actor
    ) throws -> (old: APIKey, new: IssuedAPIKey) {
        let old = try resolve(reference)
        let status = old.status(at: store.now)
        guard status == .active else { throw APIKeyError.notRotatable(id: old.id, status: status) }
        if let expiresAt, expiresAt <= store.now { throw APIKeyError.invalidExpiry(Timestamp.string(from: expiresAt)) }
        let plaintext = APIKeyFormat.generate()
        let new = try store.insertAPIKey(
            .id(old.customerId), plaintext: plaintext, name: old.name,
            expiresAt: expiresAt ?? old.expiresAt.flatMap(Timestamp.parse), actor: actor,
            metadata: [("rotated_from", .int(old.id))], revising: (old.id, store.now.addingTimeInterval(overlap)))
        return (try store.apiKey(.id(old.id)), IssuedAPIKey(key: new, plaintext: plaintext))
    }

    /// Verifies a presented key: a custctl-shaped key with a bad checksum is refused before any
    /// lookup; otherwise the SHA-256 is looked up (legacy keys of any shape too). Records last_used_at.
    public func verify(_ presented: String) throws -> VerifiedAPIKey {
        let key = presented.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw APIKeyError.missingKey }
        if APIKeyFormat.looksLikeCustctlKey(key) && !APIKeyFormat.checksumIsValid(key) { throw APIKeyError.invalidKey }
        guard let verified = try store.useAPIKey(hash: APIKeyFormat.hash(key)) else { throw APIKeyError.invalidKey }
        return verified
    }
}

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
        try store.linkForge(customer, forge, actor: actor)
    }

    /// Unlinks it: the removed account's id, or nil when it was unlinked before (a repeat changes
    /// nothing). An account the customer never had is `ForgeError.notFound`.
    public func unlink(_ customer: CustomerReference, _ forge: ForgeNamespace, actor: Actor) throws -> Int64? {
        try store.unlinkForge(customer, forge, actor: actor)
    }

    /// Linked accounts, optionally of one customer.
    public func list(for customer: CustomerReference?, page: Page = .all) throws -> Paged<LinkedForgeAccount> {
        try store.forgeAccounts(of: customer, page: page)
    }
}

/// The onboarding outbox: what is due, and marking it sent.
public struct Outbox: Sendable {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// Unsent emails due now (active customers only), oldest first.
    public func due(page: Page = .all) throws -> Paged<DueEmail> {
        try store.dueEmails(page: page)
    }

    /// Marks emails sent in one transaction, in the order given (an id named twice counts once);
    /// marking one again changes nothing; an unknown id marks none.
    public func markSent(_ ids: [Int64]) throws -> [(email: ScheduledEmail, changed: Bool)] {
        var seen = Set<Int64>()
        return try store.markEmailsSent(ids.filter { seen.insert($0).inserted })
    }
}
