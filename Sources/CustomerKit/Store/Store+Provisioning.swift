import Foundation
import GRDB

extension Store {
    /// A result that makes provisioning unnecessary: a replay of the same idempotent request, or the
    /// existing customer under `ifNotExists`. Throws the conflicts. Read-only; `provision` checks again
    /// inside its transaction.
    func earlierProvision(_ prepared: PreparedProvision, ifNotExists: Bool) throws -> ProvisionResult? {
        try read { db in try Store.earlierProvision(db, prepared, ifNotExists: ifNotExists) }
    }

    private static func earlierProvision(_ db: Database, _ prepared: PreparedProvision, ifNotExists: Bool) throws
        -> ProvisionResult?
    {
        if let key = prepared.idempotencyKey,
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT fingerprint, result FROM provision_requests WHERE idempotency_key = ?"),
                arguments: [key])
        {
            guard row["fingerprint"] as String == prepared.fingerprint else {
                throw ProvisionError.idempotencyConflict(key)
            }
            return try replay(row["result"])
        }
        // A prepared statement reused for every record: the query interface would build and compile
        // its SQL anew each time, which was a third of a bulk provision.
        guard
            let existingId = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM customers WHERE email_normalized = ?"),
                arguments: [prepared.new.email.normalized])
        else { return nil }
        guard ifNotExists else { throw CustomerError.emailTaken(prepared.new.email.normalized) }
        let existing = try Store.fetchCustomer(db, .id(existingId))
        let balance =
            try Int64.fetchOne(
                db, sql: "SELECT balance_after FROM credit_transactions WHERE customer_id = ? ORDER BY id DESC LIMIT 1",
                arguments: [existing.id]) ?? 0
        return ProvisionResult(
            customerId: existing.id, email: existing.email, apiKey: nil, apiKeyPrefix: nil,
            billingCustomerId: existing.stripeCustomerId, creditBalance: balance, created: false, replayed: false)
    }

    private static func replay(_ text: String) throws -> ProvisionResult {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        return ProvisionResult(
            customerId: (object["customer_id"] as? NSNumber)?.int64Value ?? 0, email: object["email"] as? String ?? "",
            apiKey: nil, apiKeyPrefix: object["api_key_prefix"] as? String,
            billingCustomerId: object["billing_customer_id"] as? String,
            creditBalance: (object["credit_balance"] as? NSNumber)?.int64Value ?? 0,
            created: object["created"] as? Bool ?? false, replayed: true)
    }

    /// Provisions `items` in ONE IMMEDIATE transaction; any failure rolls all of it back (its error
    /// carries the batch line). Statements are prepared once and reused for every record.
    func provision(
        _ items: [PreparedProvision], ifNotExists: Bool, trialCredits: Int64, actor: Actor,
        progress: (Int) -> Void = { _ in }
    ) throws -> [ProvisionResult] {
        let instant = now
        let stamp = Timestamp.string(from: instant)
        let dueDates = OnboardingSequence.emails.map {
            ($0.template, Timestamp.string(from: instant.addingTimeInterval($0.delay)))
        }
        return try write { db in
            var results: [ProvisionResult] = []
            results.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                do {
                    if let earlier = try Store.earlierProvision(db, item, ifNotExists: ifNotExists) {
                        results.append(earlier)
                    } else {
                        results.append(
                            try insertProvisioned(
                                db, item, trialCredits: trialCredits, actor: actor, at: instant, stamp: stamp,
                                dueDates: dueDates))
                    }
                } catch {
                    throw ProvisionError.at(item.line, error)
                }
                if index % 1000 == 999 && index + 1 < items.count { progress(index + 1) }
            }
            progress(items.count)
            return results
        }
    }

    private func insertProvisioned(
        _ db: Database, _ item: PreparedProvision, trialCredits: Int64, actor: Actor, at instant: Date, stamp: String,
        dueDates: [(String, String)]
    ) throws -> ProvisionResult {
        let new = item.new
        do {
            try db.cachedStatement(
                sql: """
                    INSERT INTO customers (name, email, email_normalized, customer_type, company_name, metadata,
                      stripe_customer_id, password_hash, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                new.name, new.email.entered, new.email.normalized, new.customerType.rawValue, new.companyName,
                new.metadataJSON, item.billingCustomerId, new.passwordHash, stamp, stamp,
            ])
        } catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE {
            throw CustomerError.emailTaken(new.email.normalized)
        }
        let customerId = db.lastInsertedRowID
        if let run = new.seedRun { try Store.recordSeeded(db, customerId: customerId, email: new.email, run: run) }
        let prefix = APIKeyFormat.prefix(of: item.apiKey)
        try db.cachedStatement(
            sql: "INSERT INTO api_keys (customer_id, name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [customerId, "Default", prefix, APIKeyFormat.hash(item.apiKey), stamp])
        for forge in item.forges {
            try Store.insertForgeAccount(db, customerId: customerId, forge, stamp: stamp)
        }
        let email = try db.cachedStatement(
            sql: "INSERT INTO scheduled_emails (customer_id, template, due_at, created_at) VALUES (?, ?, ?, ?)")
        for (template, due) in dueDates {
            try email.execute(arguments: [customerId, template, due, stamp])
        }
        let customer = Customer.provisioned(
            id: customerId, new, billingCustomerId: item.billingCustomerId, stamp: stamp)
        let ledger = LedgerTransaction(db: db, customer: customer, now: instant)
        let trialGrant =
            trialCredits > 0 ? try CreditLedger.appendGrant(ledger, amount: trialCredits, source: "trial_signup") : nil
        let balance = trialGrant?.balanceAfter ?? 0
        try db.cachedStatement(
            sql: """
                INSERT INTO audit_log (actor, os_user, action, customer_id, subject, details, created_at)
                VALUES (?, ?, 'customer.provision', ?, ?, ?, ?)
                """
        ).execute(arguments: [
            actor.name, actor.osUser, customerId, new.email.normalized,
            JSONValue.object([
                ("source", .string(new.source)), ("forges", .int(Int64(item.forges.count))),
                ("trial_credits", .int(trialCredits)), ("entry_id", .optional(trialGrant?.id)),
            ]).serialized, stamp,
        ])
        let result = ProvisionResult(
            customerId: customerId, email: new.email.entered, apiKey: item.apiKey, apiKeyPrefix: prefix,
            billingCustomerId: item.billingCustomerId, creditBalance: balance, created: true, replayed: false)
        if let key = item.idempotencyKey {
            let stored = JSONValue.object([
                ("customer_id", .int(customerId)), ("email", .string(result.email)),
                ("api_key_prefix", .string(prefix)),
                ("billing_customer_id", .string(item.billingCustomerId)),
                ("credit_balance", .int(result.creditBalance)),
                ("created", .bool(true)),
            ]).serialized
            try db.cachedStatement(
                sql:
                    "INSERT INTO provision_requests (idempotency_key, fingerprint, customer_id, result, created_at) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [key, item.fingerprint, customerId, stored, stamp])
        }
        return result
    }

    /// Inserts a forge account; a namespace taken case-insensitively is `namespaceTaken`.
    static func insertForgeAccount(_ db: Database, customerId: Int64, _ forge: ForgeNamespace, stamp: String) throws {
        do {
            try db.cachedStatement(
                sql: "INSERT INTO forge_accounts (customer_id, forge_type, namespace, created_at) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [customerId, forge.type.rawValue, forge.namespace, stamp])
        } catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE {
            throw ForgeError.namespaceTaken(forge.description)
        }
    }
}

extension Customer {
    /// The record as `provision` inserts it (column defaults spelled out), so the ledger can work on it
    /// without reading the row back.
    static func provisioned(id: Int64, _ new: NewCustomer, billingCustomerId: String, stamp: String) -> Customer {
        Customer(
            id: id, name: new.name, email: new.email.entered, emailNormalized: new.email.normalized,
            passwordHash: new.passwordHash,
            isStaff: false, adminLevel: nil, customerType: new.customerType, companyName: new.companyName, active: true,
            metadata: new.metadataJSON, monthlyLimit: 100, currentUsage: 0,
            trialFixesUsed: 0, trialFixesLimit: 10, trialExpiredAt: nil, paymentMethodAddedAt: nil,
            stripeCustomerId: billingCustomerId, subscriptionPlan: "pay_as_you_go", subscriptionStatus: "trial",
            subscriptionPeriodEnd: nil, rolloverFixes: 0, confirmedAt: nil, lastLoginAt: nil, createdAt: stamp,
            updatedAt: stamp)
    }
}
