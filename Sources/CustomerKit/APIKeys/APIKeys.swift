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
        let key = try store.write { tx in
            try Self.insert(
                plaintext, for: tx.customers.fetch(customer), name: name, expiresAt: expiresAt, actor: actor, in: tx)
        }
        return IssuedAPIKey(key: key, plaintext: plaintext)
    }

    /// Stores a new key (its prefix and hash only) and audits it: `apikey.create`, or `apikey.rotate`
    /// when it replaces `old`.
    private static func insert(
        _ plaintext: String, for owner: Customer, name: String, expiresAt: Date?, actor: Actor,
        replacing old: Int64? = nil, in tx: any StorageTransaction
    ) throws -> APIKey {
        let id = try tx.apiKeys.insert(
            customerId: owner.id, name: name, prefix: APIKeyFormat.prefix(of: plaintext),
            hash: APIKeyFormat.hash(plaintext), expiresAt: expiresAt,
            metadata: old.map { [("rotated_from", .int($0))] } ?? [], at: tx.now)
        try tx.audit.append(
            NewAuditEntry(
                actor: actor, action: old == nil ? "apikey.create" : "apikey.rotate", customerId: owner.id,
                subject: owner.emailNormalized, details: [("key_id", .int(id)), ("replaces", .optional(old))]),
            at: tx.now)
        return try Self.fetch(id, in: tx)
    }

    private static func fetch(_ id: Int64, in tx: any StorageTransaction) throws -> APIKey {
        guard let key = try tx.apiKeys.find(id) else { throw APIKeyError.notFound(APIKeyReference.id(id).description) }
        return key
    }

    /// Keys (never their secrets) with their owners' emails and statuses, optionally of one customer.
    public func list(for customer: CustomerReference?, page: Page = .all) throws -> Paged<ListedAPIKey> {
        let (keys, now) = try store.read { tx in
            let owner = try customer.map { try tx.customers.fetch($0).id }
            return (try tx.apiKeys.list(customerId: owner, page: page), tx.now)
        }
        return Paged(
            items: keys.map { ListedAPIKey(key: $0.key, customerEmail: $0.email, status: $0.key.status(at: now)) },
            nextAfterId: keys.nextAfterId)
    }

    /// The one key `reference` names (SPEC 5.5): the whole key names exactly its key; otherwise an id
    /// or a prefix that matches several keys is refused with the candidates, never picked.
    public func resolve(_ reference: APIKeyReference) throws -> APIKey {
        guard case .text(let text) = reference else {
            guard case .id(let id) = reference else { throw APIKeyError.notFound(reference.description) }
            return try store.read { try Self.fetch(id, in: $0) }
        }
        let trimmed = Text.trimmingSpaces(text)
        guard !trimmed.isEmpty else { throw APIKeyError.notFound(reference.description) }
        let (exact, candidates) = try store.read { tx in
            (try tx.apiKeys.find(hash: APIKeyFormat.hash(trimmed)), try tx.apiKeys.candidates(trimmed, limit: 50))
        }
        if let exact { return exact }
        guard let only = candidates.first else { throw APIKeyError.notFound(reference.description) }
        guard candidates.count == 1 else {
            throw APIKeyError.ambiguous(
                trimmed,
                candidates: candidates.map {
                    APIKeyCandidate(id: $0.key.id, prefix: $0.key.prefix, customerEmail: $0.email)
                })
        }
        return only.key
    }

    /// Revokes a key at once; revoking again changes nothing.
    public func revoke(_ reference: APIKeyReference, actor: Actor) throws -> (key: APIKey, changed: Bool) {
        let id = try resolve(reference).id
        return try store.write { tx in
            let key = try Self.fetch(id, in: tx)
            if key.revokedAt != nil { return (key, false) }
            try tx.apiKeys.revoke(id, at: tx.now)
            let owner = try tx.customers.fetch(.id(key.customerId))
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "apikey.revoke", customerId: owner.id, subject: owner.emailNormalized,
                    details: [("key_id", .int(id))]), at: tx.now)
            return (try Self.fetch(id, in: tx), true)
        }
    }

    /// Issues a replacement (same customer and name) that keeps the old key's expiry unless
    /// `expiresAt` says otherwise; the old key keeps working for `overlap` seconds (0: it stops now).
    /// An expired or revoked key cannot be rotated: that would revive it.
    public func rotate(
        _ reference: APIKeyReference, overlap: TimeInterval, expiresAt: Date? = nil, actor: Actor
    ) throws -> (old: APIKey, new: IssuedAPIKey) {
        let id = try resolve(reference).id
        let plaintext = APIKeyFormat.generate()
        return try store.write { tx in
            let old = try Self.fetch(id, in: tx)
            let status = old.status(at: tx.now)
            guard status == .active else { throw APIKeyError.notRotatable(id: old.id, status: status) }
            if let expiresAt, expiresAt <= tx.now {
                throw APIKeyError.invalidExpiry(Timestamp.string(from: expiresAt))
            }
            try tx.apiKeys.capExpiry(old.id, at: tx.now.addingTimeInterval(overlap))
            let new = try Self.insert(
                plaintext, for: tx.customers.fetch(.id(old.customerId)), name: old.name,
                expiresAt: expiresAt ?? old.expiresAt, actor: actor, replacing: old.id, in: tx)
            return (try Self.fetch(old.id, in: tx), IssuedAPIKey(key: new, plaintext: plaintext))
        }
    }

    /// Verifies a presented key: a custctl-shaped key with a bad checksum is refused before any
    /// lookup; otherwise the SHA-256 is looked up (legacy keys of any shape too). Records last_used_at.
    public func verify(_ presented: String) throws -> VerifiedAPIKey {
        let key = presented.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw APIKeyError.missingKey }
        if APIKeyFormat.looksLikeCustctlKey(key) && !APIKeyFormat.checksumIsValid(key) { throw APIKeyError.invalidKey }
        let hash = APIKeyFormat.hash(key)
        let verified = try store.write { tx -> VerifiedAPIKey? in
            guard let usable = try tx.apiKeys.usable(hash: hash, at: tx.now),
                PasswordHasher.constantTimeEqual(usable.hash, hash)
            else { return nil }
            try tx.apiKeys.stampUsed(usable.key.id, at: tx.now)
            return VerifiedAPIKey(key: try Self.fetch(usable.key.id, in: tx), customerEmail: usable.email)
        }
        guard let verified else { throw APIKeyError.invalidKey }
        return verified
    }
}
