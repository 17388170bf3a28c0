import Foundation

// The provisioning rules inside a transaction: replay or conflict for an idempotency key, the
// existing customer under `ifNotExists`, else every row of a new customer at once.
extension Provisioner {
    /// A result that makes provisioning unnecessary: a replay of the same idempotent request, or the
    /// existing customer under `ifNotExists`. Throws the conflicts.
    static func earlier(_ prepared: PreparedProvision, ifNotExists: Bool, in tx: any StorageTransaction) throws
        -> ProvisionResult?
    {
        if let key = prepared.idempotencyKey, let stored = try tx.provisionRequests.find(idempotencyKey: key) {
            guard stored.fingerprint == prepared.fingerprint else { throw ProvisionError.idempotencyConflict(key) }
            return replay(stored.result)
        }
        guard let existing = try tx.customers.identity(.email(prepared.new.email)) else { return nil }
        guard ifNotExists else { throw CustomerError.emailTaken(prepared.new.email.normalized) }
        let customer = try tx.customers.fetch(.id(existing.id))
        return ProvisionResult(
            customerId: customer.id, email: customer.email, apiKey: nil, apiKeyPrefix: nil,
            billingCustomerId: customer.stripeCustomerId,
            creditBalance: try tx.ledger.recordedBalance(customerId: customer.id), created: false, replayed: false)
    }

    private static func replay(_ stored: JSONValue) -> ProvisionResult {
        ProvisionResult(
            customerId: stored["customer_id"]?.intValue ?? 0, email: stored["email"]?.stringValue ?? "",
            apiKey: nil, apiKeyPrefix: stored["api_key_prefix"]?.stringValue,
            billingCustomerId: stored["billing_customer_id"]?.stringValue,
            creditBalance: stored["credit_balance"]?.intValue ?? 0, created: stored["created"] == .bool(true),
            replayed: true)
    }

    /// Provisions `items` in ONE write transaction; any failure rolls all of it back (its error carries
    /// the batch line).
    func provision(
        _ items: [PreparedProvision], ifNotExists: Bool, progress: (Int) -> Void = { _ in }
    ) throws -> [ProvisionResult] {
        try store.write { tx in
            let dueDates = OnboardingSequence.emails.map { ($0.template, tx.now.addingTimeInterval($0.delay)) }
            var results: [ProvisionResult] = []
            results.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                do {
                    results.append(
                        try Self.earlier(item, ifNotExists: ifNotExists, in: tx)
                            ?? insert(item, dueDates: dueDates, in: tx))
                } catch {
                    throw ProvisionError.at(item.line, error)
                }
                if index % 1000 == 999 && index + 1 < items.count { progress(index + 1) }
            }
            progress(items.count)
            return results
        }
    }

    /// Every row of one new customer: the customer, its API key, forge accounts, onboarding emails, the
    /// trial grant, the audit entry and the idempotency record.
    private func insert(_ item: PreparedProvision, dueDates: [(String, Date)], in tx: any StorageTransaction) throws
        -> ProvisionResult
    {
        let new = item.new
        let customerId = try new.insert(in: tx, billingCustomerId: item.billingCustomerId)
        let prefix = APIKeyFormat.prefix(of: item.apiKey)
        _ = try tx.apiKeys.insert(
            customerId: customerId, name: "Default", prefix: prefix, hash: APIKeyFormat.hash(item.apiKey),
            expiresAt: nil, metadata: [], at: tx.now)
        for forge in item.forges { try tx.forgeAccounts.insert(customerId: customerId, forge, at: tx.now) }
        for (template, due) in dueDates {
            try tx.outbox.insert(customerId: customerId, template: template, due: due, at: tx.now)
        }
        let customer = Customer.provisioned(
            id: customerId, new, billingCustomerId: item.billingCustomerId, at: tx.now)
        let trialCredits = pricing.trialCredits
        let trialGrant =
            trialCredits > 0
            ? try CreditLedger.appendGrant(
                LedgerTransaction(tx, customer: customer), amount: trialCredits, source: "trial_signup") : nil
        try tx.audit.append(
            NewAuditEntry(
                actor: actor, action: "customer.provision", customerId: customerId, subject: new.email.normalized,
                details: [
                    ("source", .string(new.source)), ("forges", .int(Int64(item.forges.count))),
                    ("trial_credits", .int(trialCredits)), ("entry_id", .optional(trialGrant?.id)),
                ]), at: tx.now)
        let result = ProvisionResult(
            customerId: customerId, email: new.email.entered, apiKey: item.apiKey, apiKeyPrefix: prefix,
            billingCustomerId: item.billingCustomerId, creditBalance: trialGrant?.balanceAfter ?? 0, created: true,
            replayed: false)
        if let key = item.idempotencyKey {
            let stored = JSONValue.object([
                ("customer_id", .int(customerId)), ("email", .string(result.email)),
                ("api_key_prefix", .string(prefix)), ("billing_customer_id", .string(item.billingCustomerId)),
                ("credit_balance", .int(result.creditBalance)), ("created", .bool(true)),
            ])
            try tx.provisionRequests.insert(
                idempotencyKey: key, fingerprint: item.fingerprint, customerId: customerId, result: stored, at: tx.now)
        }
        return result
    }
}

extension Customer {
    /// The record as `provision` inserts it (column defaults spelled out), so the ledger can work on it
    /// without reading the row back.
    static func provisioned(id: Int64, _ new: NewCustomer, billingCustomerId: String, at instant: Date) -> Customer {
        Customer(
            id: id, name: new.name, email: new.email.entered, emailNormalized: new.email.normalized,
            passwordHash: new.passwordHash,
            isStaff: false, adminLevel: nil, customerType: new.customerType, companyName: new.companyName, active: true,
            metadata: new.metadata, monthlyLimit: 100, currentUsage: 0,
            trialFixesUsed: 0, trialFixesLimit: 10, trialExpiredAt: nil, paymentMethodAddedAt: nil,
            stripeCustomerId: billingCustomerId, subscriptionPlan: .payAsYouGo, subscriptionStatus: .trial,
            subscriptionPeriodEnd: nil, rolloverFixes: 0, confirmedAt: nil, lastLoginAt: nil, createdAt: instant,
            updatedAt: instant)
    }
}
