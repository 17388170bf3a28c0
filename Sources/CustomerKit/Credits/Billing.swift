import Foundation

/// Billing state changes: payment method (with consent), Pro subscription and its paid periods,
/// cancellation now or at period end. Each runs in one transaction with its audit entry.
extension CreditLedger {
    /// Records a payment method. Without explicit consent it is refused (65). A trial customer
    /// becomes a paying pay-as-you-go customer.
    public func addPaymentMethod(_ reference: CustomerReference, consent: Bool, actor: Actor) throws -> BillingChange {
        guard consent else { throw CreditsError.consentRequired }
        return try store.withLedger(reference) { tx in
            var billing = BillingState(tx.customer)
            if billing.hasPaymentMethod { return BillingChange(customer: tx.customer, changed: false, granted: nil) }
            billing.paymentMethodAddedAt = tx.now
            if billing.customerType == .trial { billing.customerType = .paid }
            if billing.status == .trial { billing.status = .active }
            try tx.updateBilling(billing)
            try tx.audit("billing.payment_method", actor: actor, details: [("consent", .bool(true))])
            return BillingChange(customer: tx.customer, changed: true, granted: nil)
        }
    }

    /// Subscribes to Pro and records the first paid period (60 credits). Needs a payment method.
    /// Already subscribed: nothing changes.
    public func subscribePro(_ reference: CustomerReference, periodEnd: Date? = nil, actor: Actor) throws
        -> BillingChange
    {
        try store.withLedger(reference) { tx in
            var billing = BillingState(tx.customer)
            guard billing.hasPaymentMethod else { throw CreditsError.paymentMethodRequired(tx.customer.email) }
            if billing.plan == .pro && billing.status == .active {
                return BillingChange(customer: tx.customer, changed: false, granted: nil)
            }
            let end = periodEnd ?? tx.now.addingTimeInterval(pricing.proPeriod)
            guard end > tx.now else {
                throw CreditsError.invalidTime(Timestamp.string(from: end), reason: "it is not in the future")
            }
            billing.plan = .pro
            billing.status = .active
            billing.periodEnd = end
            try tx.updateBilling(billing)
            let granted = try grantForPeriod(ending: end, in: tx)
            // The audit entry names the grant it explains, so doctor can match every grant (SPEC 5.13).
            try tx.audit(
                "billing.subscribe", actor: actor,
                details: [
                    ("plan", .string("pro")), ("period_end", .string(Timestamp.string(from: end))),
                    ("entry_id", .int(granted.id)),
                ])
            return BillingChange(customer: tx.customer, changed: true, granted: granted)
        }
    }

    /// Records a paid Pro period ending at `periodEnd`: 60 credits, exactly once per period (the
    /// period's end is the idempotency key), and the subscription runs to that end.
    public func recordProPayment(_ reference: CustomerReference, periodEnd: Date, actor: Actor) throws -> BillingChange
    {
        try store.withLedger(reference) { tx in
            var billing = BillingState(tx.customer)
            guard billing.plan == .pro, pricing.effectivePlan(billing, at: tx.now) == .pro || billing.status == .pastDue
            else {
                throw CreditsError.notSubscribed(tx.customer.email)
            }
            if let earlier = try tx.entry(idempotencyKey: Self.periodKey(periodEnd)) {
                return BillingChange(customer: tx.customer, changed: false, granted: earlier)
            }
            let current = billing.periodEnd
            if let current, abs(periodEnd.timeIntervalSince(current)) < pricing.proPeriod {
                // Two spellings of one period (59 s apart) must not pay it twice (SPEC 5.10).
                throw CreditsError.invalidTime(
                    Timestamp.string(from: periodEnd),
                    reason: "less than a period from the paid period ending \(Timestamp.string(from: current)); "
                        + "give that period's exact end to replay it, or the next period's end")
            }
            if billing.status != .canceled { billing.status = .active }
            if let current, current >= periodEnd {
                // An older period paid late: keep the later end.
            } else {
                billing.periodEnd = periodEnd
            }
            try tx.updateBilling(billing)
            let granted = try grantForPeriod(ending: periodEnd, in: tx)
            try tx.audit(
                "billing.pro_payment", actor: actor,
                details: [("period_end", .string(Timestamp.string(from: periodEnd))), ("entry_id", .int(granted.id))])
            return BillingChange(customer: tx.customer, changed: true, granted: granted)
        }
    }

    /// Cancels Pro: immediately (pay-as-you-go prices from now) or at the period's end (Pro prices
    /// until then).
    public func cancel(_ reference: CustomerReference, atPeriodEnd: Bool, actor: Actor) throws -> BillingChange {
        try store.withLedger(reference) { tx in
            var billing = BillingState(tx.customer)
            // Canceled already (at the period's end, or at once and back on pay-as-you-go): a repeat
            // changes nothing. An immediate cancel after one at the period's end still takes effect.
            if billing.status == .canceled && (atPeriodEnd || billing.plan != .pro) {
                return BillingChange(customer: tx.customer, changed: false, granted: nil)
            }
            guard billing.plan == .pro else { throw CreditsError.notSubscribed(tx.customer.email) }
            billing.status = .canceled
            if !atPeriodEnd {
                billing.plan = .payAsYouGo
                billing.periodEnd = tx.now
            }
            try tx.updateBilling(billing)
            try tx.audit("billing.cancel", actor: actor, details: [("at_period_end", .bool(atPeriodEnd))])
            return BillingChange(customer: tx.customer, changed: true, granted: nil)
        }
    }

    private func grantForPeriod(ending end: Date, in tx: LedgerTransaction) throws -> LedgerEntry {
        try expireDueLots(tx)
        return try Self.appendGrant(
            tx, amount: pricing.proCreditsPerPeriod, source: "pro_subscription_payment",
            idempotencyKey: Self.periodKey(end), metadata: [("period_end", .string(Timestamp.string(from: end)))])
    }

    static func periodKey(_ end: Date) -> String {
        "pro_period:" + Timestamp.string(from: end)
    }
}
