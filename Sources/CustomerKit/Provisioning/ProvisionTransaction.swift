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
        return try existingCustomer(existing.id, in: tx)
    }

    /// What provisioning an email that customer `id` already has returns under `ifNotExists`.
    static func existingCustomer(_ id: Int64, in tx: any StorageTransaction) throws -> ProvisionResult {
        let customer = try tx.customers.fetch(.id(id))
        return ProvisionResult(
            customerId: customer.id, email: customer.email, apiKey: nil, apiKeyPrefix: nil,
            billingCustomerId: customer.stripeCustomerId,
            creditBalance: try tx.ledger.recordedBalance(customerId: customer.id), created: false, replayed: false)
    }

    static func replay(_ stored: JSONValue) -> ProvisionResult {
        ProvisionResult(
            customerId: stored["customer_id"]?.intValue ?? 0, email: stored["email"]?.stringValue ?? "",
            apiKey: nil, apiKeyPrefix: stored["api_key_prefix"]?.stringValue,
            billingCustomerId: stored["billing_customer_id"]?.stringValue,
            creditBalance: stored["credit_balance"]?.intValue ?? 0, created: stored["created"] == .bool(true),
            replayed: true)
    }

    /// How many records are looked up and written together.
    static let batchSize = 1000

    /// Provisions `items` in ONE write transaction; any failure rolls all of it back (its error carries
    /// the batch line). Records go in batches: what exists is looked up for a whole batch, then every
    /// row of its new customers is written at once.
    func provision(
        _ items: [PreparedProvision], ifNotExists: Bool, progress: (Int) -> Void = { _ in }
    ) throws -> [ProvisionResult] {
        try store.write { tx in
            var batch = ProvisionBatch(
                provisioner: self, tx: tx, ifNotExists: ifNotExists,
                dueDates: OnboardingSequence.emails.map { ($0.template, tx.now.addingTimeInterval($0.delay)) })
            var results: [ProvisionResult] = []
            results.reserveCapacity(items.count)
            for start in stride(from: 0, to: items.count, by: Self.batchSize) {
                results += try batch.provision(items[start..<min(start + Self.batchSize, items.count)])
                if results.count < items.count { progress(results.count) }
            }
            progress(items.count)
            return results
        }
    }
}

/// One transaction's provisioning, batch by batch. What earlier batches wrote is remembered, so a
/// record that repeats an email, an idempotency key or a namespace of an earlier record behaves as if
/// that record were already in the database.
private struct ProvisionBatch {
    let provisioner: Provisioner
    let tx: any StorageTransaction
    let ifNotExists: Bool
    let dueDates: [(template: String, due: Date)]
    /// Customers written in this transaction, by normalised email.
    private var written: [String: ProvisionResult] = [:]
    /// Idempotency records written in this transaction.
    private var requests: [String: (fingerprint: String, result: JSONValue)] = [:]
    /// Namespaces linked in this transaction (`ForgeNamespace.key`).
    private var linked: Set<String> = []

    init(
        provisioner: Provisioner, tx: any StorageTransaction, ifNotExists: Bool,
        dueDates: [(template: String, due: Date)]
    ) {
        self.provisioner = provisioner
        self.tx = tx
        self.ifNotExists = ifNotExists
        self.dueDates = dueDates
    }

    mutating func provision(_ items: ArraySlice<PreparedProvision>) throws -> [ProvisionResult] {
        let existing = try tx.newCustomers.existing(emails: items.map(\.new.email.normalized))
        requests.merge(try tx.newCustomers.provisionRequests(items.compactMap(\.idempotencyKey))) { first, _ in first }
        linked.formUnion(try tx.newCustomers.linked(items.flatMap(\.forges)))
        var results: [ProvisionResult?] = []
        var pending: [(index: Int, item: PreparedProvision)] = []
        var pendingEmails: Set<String> = []
        var pendingKeys: Set<String> = []
        for item in items {
            // A record repeating a pending one's email or key sees it written, as one by one it would.
            if pendingEmails.contains(item.new.email.normalized)
                || item.idempotencyKey.map(pendingKeys.contains) == true
            {
                try write(pending, into: &results)
                pending = []
                pendingEmails = []
                pendingKeys = []
            }
            do {
                if let earlier = try earlier(item, existing: existing) {
                    results.append(earlier)
                    continue
                }
                for forge in item.forges where !linked.insert(forge.key).inserted {
                    throw ForgeError.namespaceTaken(forge.description)
                }
            } catch {
                throw ProvisionError.at(item.line, error)
            }
            pending.append((results.count, item))
            pendingEmails.insert(item.new.email.normalized)
            if let key = item.idempotencyKey { pendingKeys.insert(key) }
            results.append(nil)
        }
        try write(pending, into: &results)
        return results.compactMap { $0 }
    }

    /// Reserves the new customers' ids and writes all their rows at once.
    private mutating func write(
        _ pending: [(index: Int, item: PreparedProvision)], into results: inout [ProvisionResult?]
    )
        throws
    {
        guard !pending.isEmpty else { return }
        let trialCredits = provisioner.pricing.trialCredits
        let ids = try tx.newCustomers.reserveIds(
            customers: pending.count, ledgerEntries: trialCredits > 0 ? pending.count : 0)
        var rows: [NewCustomerRows] = []
        rows.reserveCapacity(pending.count)
        for (offset, new) in pending.enumerated() {
            let built = self.rows(
                new.item, id: ids.customers[offset], grantId: trialCredits > 0 ? ids.ledgerEntries[offset] : nil,
                trialCredits: trialCredits)
            rows.append(built.rows)
            results[new.index] = built.result
            written[new.item.new.email.normalized] = built.result
            if let request = built.rows.request { requests[request.key] = (request.fingerprint, request.result) }
        }
        try tx.newCustomers.insert(rows, at: tx.now)
    }

    /// A replay, the existing customer under `ifNotExists`, or nil for a new customer; throws the
    /// conflicts (an idempotency key reused for another request, an email taken).
    private func earlier(_ item: PreparedProvision, existing: [String: Int64]) throws -> ProvisionResult? {
        if let key = item.idempotencyKey, let stored = requests[key] {
            guard stored.fingerprint == item.fingerprint else { throw ProvisionError.idempotencyConflict(key) }
            return Provisioner.replay(stored.result)
        }
        let email = item.new.email.normalized
        if let id = existing[email] {
            guard ifNotExists else { throw CustomerError.emailTaken(email) }
            return try Provisioner.existingCustomer(id, in: tx)
        }
        if let first = written[email] {
            guard ifNotExists else { throw CustomerError.emailTaken(email) }
            return ProvisionResult(
                customerId: first.customerId, email: first.email, apiKey: nil, apiKeyPrefix: nil,
                billingCustomerId: first.billingCustomerId, creditBalance: first.creditBalance, created: false,
                replayed: false)
        }
        return nil
    }

    /// Every row of one new customer: the customer, its API key, forge accounts, onboarding emails, the
    /// trial grant, the audit entry and the idempotency record; and what provisioning it returns.
    private func rows(_ item: PreparedProvision, id: Int64, grantId: Int64?, trialCredits: Int64) -> (
        rows: NewCustomerRows, result: ProvisionResult
    ) {
        let new = item.new
        let prefix = APIKeyFormat.prefix(of: item.apiKey)
        let grant = grantId.map { ($0, CreditLedger.grant(amount: trialCredits, source: "trial_signup")) }
        let result = ProvisionResult(
            customerId: id, email: new.email.entered, apiKey: item.apiKey, apiKeyPrefix: prefix,
            billingCustomerId: item.billingCustomerId, creditBalance: grant == nil ? 0 : trialCredits, created: true,
            replayed: false)
        let audit = NewAuditEntry(
            actor: provisioner.actor, action: "customer.provision", customerId: id, subject: new.email.normalized,
            details: [
                ("source", .string(new.source)), ("forges", .int(Int64(item.forges.count))),
                ("trial_credits", .int(trialCredits)), ("entry_id", .optional(grantId)),
            ])
        let request = item.idempotencyKey.map { key in
            (
                key: key, fingerprint: item.fingerprint,
                result: JSONValue.object([
                    ("customer_id", .int(id)), ("email", .string(result.email)), ("api_key_prefix", .string(prefix)),
                    ("billing_customer_id", .string(item.billingCustomerId)),
                    ("credit_balance", .int(result.creditBalance)), ("created", .bool(true)),
                ])
            )
        }
        let rows = NewCustomerRows(
            id: id, customer: new, billingCustomerId: item.billingCustomerId,
            apiKey: (name: "Default", prefix: prefix, hash: APIKeyFormat.hash(item.apiKey)), forges: item.forges,
            emails: dueDates, grant: grant, audit: audit, request: request)
        return (rows, result)
    }
}
