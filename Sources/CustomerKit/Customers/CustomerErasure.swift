import Foundation

/// What erasing a customer removes (or, on a dry run, would remove).
public struct ErasurePlan: Sendable, Equatable {
    /// The customer's id (kept: the row and its ledger stay as financial records).
    public let customerId: Int64
    /// The email as entered before erasure.
    public let email: String
    /// The address the email becomes: `erased-ID@erased.invalid`.
    public let erasedEmail: String
    /// API keys that get revoked (active ones).
    public let apiKeysRevoked: Int
    /// Forge accounts that get unlinked, as `type:namespace`.
    public let forgeAccounts: [String]
    /// Onboarding emails not yet sent that get dropped.
    public let pendingEmails: Int
    /// Login attempts recorded for the email that get deleted.
    public let loginAttempts: Int
    /// Provisioning idempotency records (they hold the email) that get deleted.
    public let provisionRecords: Int
    /// Audit entries whose subject names the email; their subject becomes the erased address.
    public let auditSubjects: Int
    /// True when a password hash is cleared.
    public let hadPassword: Bool
    /// True when a staff role is cleared.
    public let wasStaff: Bool
}

/// What `customer erase` did.
public struct ErasureResult: Sendable, Equatable {
    /// What went (or would go).
    public let plan: ErasurePlan
    /// False when the customer had been erased already (nothing changed) or on a dry run.
    public let changed: Bool
    /// True when nothing was changed on purpose.
    public let dryRun: Bool
}

/// Erasure on request (GDPR art. 17, SPEC 9): everything personal goes, the customer row and its ledger
/// stay as financial records with the balance unchanged. The audit entry keeps only the SHA-256 of the
/// normalised email, so "was this address erased?" can still be answered.
public struct CustomerErasure: Sendable {
    let store: Store

    /// Erasure over `store`.
    public init(store: Store) {
        self.store = store
    }

    /// The email an erased customer gets: no one can receive mail there (`.invalid`, RFC 2606).
    public static func erasedEmail(id: Int64) -> String { "erased-\(id)@erased.invalid" }

    /// The hex SHA-256 of a normalised email, the only trace of it an erasure keeps.
    public static func fingerprint(normalized email: String) -> String { APIKeyFormat.hash(email) }

    /// Erases `reference` (or, with `dryRun`, says what would go). Erasing an erased customer changes
    /// nothing (exit 0, `changed: false`).
    public func erase(_ reference: CustomerReference, dryRun: Bool, actor: Actor) throws -> ErasureResult {
        let body = { (tx: any StorageTransaction) throws -> ErasureResult in
            let customer = try tx.customers.fetch(reference)
            let plan = try Self.plan(customer, in: tx)
            if dryRun || customer.erasedAt != nil { return ErasureResult(plan: plan, changed: false, dryRun: dryRun) }
            let id = customer.id
            try tx.customers.erase(id, erasedEmail: plan.erasedEmail)
            try tx.apiKeys.revokeAll(customerId: id, at: tx.now)
            try tx.forgeAccounts.deleteAll(customerId: id)
            try tx.outbox.deletePending(customerId: id)
            _ = try tx.logins.deleteAll(customer.emailNormalized)
            try tx.provisionRequests.delete(customerId: id)
            try tx.audit.replaceSubject(customerId: id, customer.emailNormalized, with: plan.erasedEmail)
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "customer.erase", customerId: id, subject: plan.erasedEmail,
                    details: [("email_sha256", .string(Self.fingerprint(normalized: customer.emailNormalized)))]),
                at: tx.now)
            return ErasureResult(plan: plan, changed: true, dryRun: false)
        }
        return dryRun ? try store.read(body) : try store.write(body)
    }

    private static func plan(_ customer: Customer, in tx: any StorageTransaction) throws -> ErasurePlan {
        let id = customer.id
        return ErasurePlan(
            customerId: id, email: customer.email, erasedEmail: erasedEmail(id: id),
            apiKeysRevoked: try tx.apiKeys.countUnrevoked(customerId: id),
            forgeAccounts: try tx.forgeAccounts.names(customerId: id),
            pendingEmails: try tx.outbox.countPending(customerId: id),
            loginAttempts: try tx.logins.count(customer.emailNormalized),
            provisionRecords: try tx.provisionRequests.count(customerId: id),
            auditSubjects: try tx.audit.countSubject(customerId: id, customer.emailNormalized),
            hadPassword: customer.passwordHash != nil, wasStaff: customer.isStaff)
    }

    /// When `email` was erased and which customer it was, or `notErased`.
    public func erasure(of email: String) throws -> ErasureRecord {
        let address = try EmailAddress(email)
        let fingerprint = Self.fingerprint(normalized: address.normalized)
        guard let record = try store.read({ try $0.audit.erasure(fingerprint: fingerprint) }) else {
            throw ErasureError.notErased(address.normalized)
        }
        return record
    }
}

/// The audit trace of one erasure.
public struct ErasureRecord: Sendable, Equatable {
    /// The erased customer's id.
    public let customerId: Int64
    /// When it was erased.
    public let erasedAt: Date
}

/// Erasure lookups that found nothing.
public enum ErasureError: DomainError, Equatable {
    /// No erasure of this (normalised) email is recorded.
    case notErased(String)

    public var kind: FailureKind { .notFound }
    public var code: String { "not_erased" }
    public var description: String {
        switch self {
        case .notErased(let email): return "no erasure of \(email) is recorded"
        }
    }
}
