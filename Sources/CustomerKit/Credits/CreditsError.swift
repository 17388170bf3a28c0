/// Failures of the credit ledger and billing rules.
public enum CreditsError: DomainError, Equatable {
    /// An amount that is not a whole number in range.
    case invalidAmount(String)
    /// An adjustment would take more than the balance holds.
    case adjustmentExceedsBalance(balance: Int64, removing: Int64)
    /// The change would take the balance past what a 64-bit integer holds.
    case balanceOutOfRange(String)
    /// A time that is not ISO 8601, or not in the future where it must be.
    case invalidTime(String, reason: String)
    /// Not enough credits and no payment method to charge.
    case insufficientCredits(balance: Int64, needed: Int64)
    /// The customer is deactivated.
    case customerInactive(String)
    /// The idempotency key was used before for a different request.
    case idempotencyConflict(String)
    /// The fix was paid for before (by ledger entry `entryId`) and no repeat was allowed.
    case fixAlreadyPaid(fixId: String, entryId: Int64)
    /// Adding a payment method needs explicit consent.
    case consentRequired
    /// Subscribing needs a payment method.
    case paymentMethodRequired(String)
    /// A Pro payment for a customer who is not on Pro.
    case notSubscribed(String)

    public var kind: FailureKind {
        switch self {
        case .invalidAmount, .adjustmentExceedsBalance, .balanceOutOfRange, .invalidTime, .consentRequired:
            return .invalidData
        case .insufficientCredits, .customerInactive, .paymentMethodRequired, .notSubscribed: return .refused
        case .idempotencyConflict, .fixAlreadyPaid: return .conflict
        }
    }

    public var code: String {
        switch self {
        case .invalidAmount: return "invalid_amount"
        case .balanceOutOfRange: return "balance_out_of_range"
        case .adjustmentExceedsBalance: return "adjustment_exceeds_balance"
        case .invalidTime: return "invalid_time"
        case .insufficientCredits: return "insufficient_credits"
        case .customerInactive: return "customer_inactive"
        case .idempotencyConflict: return "idempotency_conflict"
        case .fixAlreadyPaid: return "fix_already_paid"
        case .consentRequired: return "consent_required"
        case .paymentMethodRequired: return "payment_method_required"
        case .notSubscribed: return "not_subscribed"
        }
    }

    public var description: String {
        switch self {
        case .invalidAmount(let text):
            return "invalid amount '\(text)': use a whole number from 1 to \(CreditLedger.maximumAmount)"
        case let .adjustmentExceedsBalance(balance, removing):
            return "cannot remove \(removing) credit(s): the balance is \(balance), and it never goes below zero"
        case .balanceOutOfRange(let email):
            return "the balance of \(email) would pass the largest number the ledger holds; "
                + "check the ledger with 'custctl doctor'"
        case let .invalidTime(text, reason):
            return "invalid time '\(text)': \(reason)"
        case let .insufficientCredits(balance, needed):
            return "not enough credits (balance \(balance), needed \(needed)) and no payment method; "
                + "add one with 'custctl billing payment-method EMAIL --consent' or grant credits"
        case .customerInactive(let email):
            return "customer \(email) is inactive; activate it first"
        case .idempotencyConflict(let key):
            return "idempotency key '\(key)' was already used for a different request; use a new key"
        case let .fixAlreadyPaid(fixId, entryId):
            return "fix '\(fixId)' was already paid for (ledger entry \(entryId)); "
                + "to pay for it again on purpose, pass --allow-repeat"
        case .consentRequired:
            return "adding a payment method needs the customer's explicit billing consent: pass --consent"
        case .paymentMethodRequired(let email):
            return
                "customer \(email) has no payment method; add one with 'custctl billing payment-method \(email) --consent'"
        case .notSubscribed(let email):
            return "customer \(email) is not on Pro; subscribe first with 'custctl billing subscribe \(email)'"
        }
    }

    public var details: [(String, JSONValue)] {
        switch self {
        case let .insufficientCredits(balance, needed): return [("balance", .int(balance)), ("needed", .int(needed))]
        case let .adjustmentExceedsBalance(balance, removing):
            return [("balance", .int(balance)), ("removing", .int(removing))]
        case let .fixAlreadyPaid(fixId, entryId): return [("fix_id", .string(fixId)), ("entry_id", .int(entryId))]
        default: return []
        }
    }
}
