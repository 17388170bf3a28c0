import Foundation

/// A grant as recorded (or replayed).
public struct GrantResult: Sendable, Equatable {
    public let email: String
    public let entry: LedgerEntry
    /// True when an earlier identical request with the same idempotency key is being replayed.
    public let replayed: Bool
}

/// What one `consume` did (or, replayed, had done).
public struct ConsumeResult: Sendable, Equatable {
    public let email: String
    /// Fixes paid with credits.
    public let creditsUsed: Int64
    /// Fixes charged to the payment method.
    public let chargedFixes: Int64
    /// Money charged for them.
    public let chargeCents: Int64
    /// The balance after.
    public let balance: Int64
    public let replayed: Bool
}

/// The overview `credits summary` prints.
public struct CreditSummary: Sendable, Equatable {
    public let email: String
    public let balance: Int64
    /// The plan whose prices apply now.
    public let plan: SubscriptionPlan
    public let status: SubscriptionStatus
    /// The price of one fix beyond credits.
    public let fixCents: Int64
    public let hasPaymentMethod: Bool
    /// Fixes used since the period began (the Pro period, else the calendar month, UTC).
    public let usageThisPeriod: Int64
    public let periodStart: Date
    public let periodEnd: Date?
    /// `low_balance` when balance <= 2; `critical` when 0 and no payment method.
    public let warnings: [String]
}

/// A change of billing state.
public struct BillingChange: Sendable, Equatable {
    public let customer: Customer
    public let changed: Bool
    /// Credits granted by the change (a Pro payment), if any.
    public let granted: LedgerEntry?
}

/// The credit rules (billing design RFC-065) over the append-only ledger: credits first,
/// soonest-expiring first; beyond credits a fix is charged when there is a payment method and
/// refused when there is not; idempotency keys apply once per customer.
public struct CreditLedger: Sendable {
    let store: Store
    let pricing: Pricing

    /// The largest amount one command may grant or consume.
    public static let maximumAmount: Int64 = 1_000_000

    /// Rules over `store` with `pricing`.
    public init(store: Store, pricing: Pricing = .standard) {
        self.store = store
        self.pricing = pricing
    }

    /// Parses a command-line amount: a whole number from 1 to `maximumAmount`.
    public static func amount(_ text: String) throws -> Int64 {
        guard let value = Int64(Text.trimmingSpaces(text)), (1...maximumAmount).contains(value) else {
            throw CreditsError.invalidAmount(text)
        }
        return value
    }

    // MARK: - Reading

    /// The current balance (expired credits excluded); reads one entry and the expired lots.
    public func balance(_ reference: CustomerReference) throws -> (email: String, balance: Int64) {
        try store.read { tx in
            guard let customer = try tx.customers.identity(reference) else {
                throw CustomerError.notFound(reference.description)
            }
            return (customer.email, try tx.balance(customerId: customer.id))
        }
    }

    /// Ledger entries, newest first.
    public func history(_ reference: CustomerReference, page: Page = .all) throws -> (
        email: String, entries: Paged<LedgerEntry>
    ) {
        try store.read { tx in
            let customer = try tx.customers.fetch(reference)
            return (customer.email, try tx.ledger.history(customerId: customer.id, page: page))
        }
    }

    /// Balance, plan, rate, usage this period and warnings.
    public func summary(_ reference: CustomerReference) throws -> CreditSummary {
        let (customer, balance, now) = try store.read { tx in
            let customer = try tx.customers.fetch(reference)
            return (customer, try tx.balance(customerId: customer.id), tx.now)
        }
        let billing = BillingState(customer)
        let plan = pricing.effectivePlan(billing, at: now)
        let start = periodStart(billing, plan: plan, now: now)
        var warnings: [String] = []
        if balance <= pricing.lowBalanceThreshold { warnings.append("low_balance") }
        if balance == 0 && !billing.hasPaymentMethod { warnings.append("critical") }
        return CreditSummary(
            email: customer.email, balance: balance, plan: plan, status: billing.status,
            fixCents: pricing.fixCents(billing, at: now), hasPaymentMethod: billing.hasPaymentMethod,
            usageThisPeriod: try store.read { try $0.ledger.fixesUsed(customerId: customer.id, since: start) },
            periodStart: start,
            periodEnd: customer.subscriptionPeriodEnd, warnings: warnings)
    }

    private func periodStart(_ billing: BillingState, plan: SubscriptionPlan, now: Date) -> Date {
        if plan == .pro, let end = billing.periodEnd {
            return end.addingTimeInterval(-pricing.proPeriod)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar.dateInterval(of: .month, for: now)?.start ?? now
    }

    // MARK: - Writing

    /// Grants credits. With an idempotency key, the same request replays the first result and a
    /// different request is a conflict.
    public func grant(
        _ reference: CustomerReference, amount: Int64, source: String, expiresAt: Date? = nil,
        idempotencyKey: String? = nil, note: String? = nil, actor: Actor
    ) throws -> GrantResult {
        guard (1...Self.maximumAmount).contains(amount) else { throw CreditsError.invalidAmount(String(amount)) }
        let source = try CustomerFields.text(source, field: "source")
        let note = try note.map { try CustomerFields.text($0, field: "note") }
        let request = JSONValue.object([
            ("op", .string("grant")), ("amount", .int(amount)), ("source", .string(source)),
            ("expires_at", .optional(expiresAt.map(Timestamp.string(from:)))), ("note", .optional(note)),
        ]).serialized
        return try store.withLedger(reference) { tx in
            if let key = idempotencyKey, let earlier = try replay(key, request: request, in: tx) {
                return GrantResult(email: tx.customer.email, entry: earlier, replayed: true)
            }
            if let expiresAt, expiresAt <= tx.now {
                throw CreditsError.invalidTime(Timestamp.string(from: expiresAt), reason: "it is not in the future")
            }
            try expireDueLots(tx)
            let entry = try Self.appendGrant(
                tx, amount: amount, source: source, expiresAt: expiresAt, idempotencyKey: idempotencyKey,
                metadata: [("request", .string(request))] + (note.map { [("note", .string($0))] } ?? []))
            try tx.audit(
                "credits.grant", actor: actor,
                details: [("entry_id", .int(entry.id)), ("amount", .int(amount)), ("source", .string(source))])
            return GrantResult(email: tx.customer.email, entry: entry, replayed: false)
        }
    }

    /// Corrects a balance with an `adjust` entry (SPEC 9): `amount` credits added (they count like a
    /// grant without expiry) or removed (soonest-expiring first, never below zero), with the reason kept
    /// in the entry and the audit log. An idempotency key applies it once.
    public func adjust(
        _ reference: CustomerReference, by amount: Int64, reason: String, idempotencyKey: String? = nil, actor: Actor
    ) throws -> GrantResult {
        guard (-Self.maximumAmount...Self.maximumAmount).contains(amount), amount != 0 else {
            throw CreditsError.invalidAmount(String(amount))
        }
        let reason = try CustomerFields.text(reason, field: "reason")
        let request = JSONValue.object([
            ("op", .string("adjust")), ("amount", .int(amount)), ("reason", .string(reason)),
        ]).serialized
        return try store.withLedger(reference) { tx in
            if let key = idempotencyKey, let earlier = try replay(key, request: request, in: tx) {
                return GrantResult(email: tx.customer.email, entry: earlier, replayed: true)
            }
            try expireDueLots(tx)
            var metadata: [(String, JSONValue)] = [("request", .string(request)), ("reason", .string(reason))]
            if amount < 0 {
                let balance = try tx.recordedBalance()
                guard -amount <= balance else {
                    throw CreditsError.adjustmentExceedsBalance(balance: balance, removing: -amount)
                }
                metadata.append(("lots", try draw(-amount, in: tx)))
            }
            let entry = try tx.append(
                NewLedgerEntry(
                    amount: amount, kind: .adjust, source: "manual", idempotencyKey: idempotencyKey, metadata: metadata)
            )
            try tx.audit(
                "credits.adjust", actor: actor,
                details: [("entry_id", .int(entry.id)), ("amount", .int(amount)), ("reason", .string(reason))])
            return GrantResult(email: tx.customer.email, entry: entry, replayed: false)
        }
    }

    /// Appends a grant inside an open ledger transaction (also used by provisioning).
    static func appendGrant(
        _ tx: LedgerTransaction, amount: Int64, source: String, expiresAt: Date? = nil, idempotencyKey: String? = nil,
        metadata: [(String, JSONValue)] = []
    ) throws -> LedgerEntry {
        try tx.append(
            grant(
                amount: amount, source: source, expiresAt: expiresAt, idempotencyKey: idempotencyKey,
                metadata: metadata))
    }

    /// The entry of a grant.
    static func grant(
        amount: Int64, source: String, expiresAt: Date? = nil, idempotencyKey: String? = nil,
        metadata: [(String, JSONValue)] = []
    ) -> NewLedgerEntry {
        NewLedgerEntry(
            amount: amount, kind: .grant, source: source, expiresAt: expiresAt, idempotencyKey: idempotencyKey,
            metadata: metadata)
    }

    /// Uses credits for `fixes` deployed fixes: credits first, soonest-expiring first; the rest is
    /// charged per fix when the customer has a payment method, else the whole request is refused.
    /// A `fixId` already paid for is refused (`fixAlreadyPaid`) unless `allowRepeat`; a retry with the
    /// same idempotency key replays instead.
    public func consume(
        _ reference: CustomerReference, fixes: Int64 = 1, fixId: String? = nil, idempotencyKey: String? = nil,
        allowRepeat: Bool = false
    ) throws -> ConsumeResult {
        guard (1...Self.maximumAmount).contains(fixes) else { throw CreditsError.invalidAmount(String(fixes)) }
        let fixId = try fixId.map { try CustomerFields.text($0, field: "fix id") }
        let request = JSONValue.object([
            ("op", .string("consume")), ("amount", .int(fixes)), ("fix_id", .optional(fixId)),
        ]).serialized
        return try store.withLedger(reference) { tx in
            if let key = idempotencyKey, let earlier = try replay(key, request: request, in: tx) {
                return try Self.consumeResult(from: earlier, email: tx.customer.email)
            }
            guard tx.customer.active else { throw CreditsError.customerInactive(tx.customer.email) }
            if let fixId, !allowRepeat, let earlier = try tx.entry(fixId: fixId) {
                throw CreditsError.fixAlreadyPaid(fixId: fixId, entryId: earlier.id)
            }
            try expireDueLots(tx)
            let balance = try tx.recordedBalance()
            let billing = BillingState(tx.customer)
            let fromCredits = min(balance, fixes)
            let charged = fixes - fromCredits
            if charged > 0 && !billing.hasPaymentMethod {
                throw CreditsError.insufficientCredits(balance: balance, needed: fixes)
            }
            let chargeCents = charged * pricing.fixCents(billing, at: tx.now)
            let result = JSONValue.object([
                ("credits_used", .int(fromCredits)), ("charged_fixes", .int(charged)),
                ("charge_cents", .int(chargeCents)), ("balance", .int(balance - fromCredits)),
            ])
            let fix: [(String, JSONValue)] = fixId.map { [("fix_id", .string($0))] } ?? []
            if fromCredits > 0 {
                let drawn = try draw(fromCredits, in: tx)
                try tx.append(
                    NewLedgerEntry(
                        amount: -fromCredits, kind: .consume, source: "fix_deployed",
                        idempotencyKey: charged > 0 ? nil : idempotencyKey,
                        metadata: fix + [("lots", drawn), ("request", .string(request)), ("result", result)]))
            }
            if charged > 0 {
                try tx.append(
                    NewLedgerEntry(
                        amount: 0, kind: .charge, source: "fix_deployed", chargeCents: chargeCents,
                        idempotencyKey: idempotencyKey,
                        metadata: fix + [("fixes", .int(charged)), ("request", .string(request)), ("result", result)]))
            }
            try tx.addUsage(fixes)
            return ConsumeResult(
                email: tx.customer.email, creditsUsed: fromCredits, chargedFixes: charged, chargeCents: chargeCents,
                balance: balance - fromCredits, replayed: false)
        }
    }

    /// Takes `amount` credits from the open lots, soonest-expiring first; returns what came from where.
    private func draw(_ amount: Int64, in tx: LedgerTransaction) throws -> JSONValue {
        var left = amount
        var taken: [(grantId: Int64, remaining: Int64, take: Int64)] = []
        try tx.forEachOpenLot { lot in
            let take = min(lot.remaining, left)
            taken.append((lot.grantId, lot.remaining, take))
            left -= take
            return left > 0
        }
        for lot in taken { try tx.setRemaining(lot.remaining - lot.take, ofLot: lot.grantId) }
        return .array(taken.map { .object([("grant_id", .int($0.grantId)), ("credits", .int($0.take))]) })
    }

    /// Writes an `expire` entry for every lot whose instant has passed with credits left.
    func expireDueLots(_ tx: LedgerTransaction) throws {
        for lot in try tx.expiredLots() {
            try tx.setRemaining(0, ofLot: lot.grantId)
            try tx.append(
                NewLedgerEntry(
                    amount: -lot.remaining, kind: .expire, source: "expiry",
                    metadata: [("grant_id", .int(lot.grantId)), ("expired_at", .instant(lot.expiresAt ?? tx.now))]))
        }
    }

    /// The entry an earlier request with `key` wrote, when the request is the same; a conflict when not.
    func replay(_ key: String, request: String, in tx: LedgerTransaction) throws -> LedgerEntry? {
        guard let earlier = try tx.entry(idempotencyKey: key) else { return nil }
        guard earlier.metadata["request"]?.stringValue == request else {
            throw CreditsError.idempotencyConflict(key)
        }
        return earlier
    }

    private static func consumeResult(from entry: LedgerEntry, email: String) throws -> ConsumeResult {
        guard let result = entry.metadata["result"], case .object = result else {
            throw InvariantError("ledger entry \(entry.id) has no recorded result to replay")
        }
        func number(_ key: String) -> Int64 { result[key]?.intValue ?? 0 }
        return ConsumeResult(
            email: email, creditsUsed: number("credits_used"), chargedFixes: number("charged_fixes"),
            chargeCents: number("charge_cents"), balance: number("balance"), replayed: true)
    }
}
