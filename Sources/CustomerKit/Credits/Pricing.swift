import Foundation

/// Subscription plans.
public enum SubscriptionPlan: String, Sendable, Codable, CaseIterable {
    case payAsYouGo = "pay_as_you_go"
    case pro
}

/// Subscription states.
public enum SubscriptionStatus: String, Sendable, Codable, CaseIterable {
    case trial, active
    case pastDue = "past_due"
    case canceled
}

/// Prices and allowances, as data (the billing design, RFC-065). Money is integer cents.
public struct Pricing: Sendable, Equatable {
    /// Credits granted at signup (source `trial_signup`).
    public var trialCredits: Int64 = 5
    /// Credits granted for each paid Pro period (source `pro_subscription_payment`).
    public var proCreditsPerPeriod: Int64 = 60
    /// Price of one fix beyond credits on pay-as-you-go.
    public var payAsYouGoFixCents: Int64 = 2900
    /// Price of one fix beyond credits on Pro.
    public var proFixCents: Int64 = 1500
    /// Length of a Pro period when none is given.
    public var proPeriod: TimeInterval = 30 * 24 * 3600
    /// At or below this balance the summary warns `low_balance`.
    public var lowBalanceThreshold: Int64 = 2

    /// The design's prices.
    public static let standard = Pricing()

    /// The plan whose prices apply now: Pro while subscribed, and after an end-of-period cancel
    /// until the period ends; pay-as-you-go otherwise.
    public func effectivePlan(_ billing: BillingState, at now: Date) -> SubscriptionPlan {
        guard billing.plan == .pro else { return .payAsYouGo }
        switch billing.status {
        case .active, .pastDue, .trial:
            return .pro
        case .canceled:
            guard let end = billing.periodEnd else { return .payAsYouGo }
            return now < end ? .pro : .payAsYouGo
        }
    }

    /// The price of one fix beyond credits.
    public func fixCents(_ billing: BillingState, at now: Date) -> Int64 {
        effectivePlan(billing, at: now) == .pro ? proFixCents : payAsYouGoFixCents
    }
}

/// The billing fields of a customer.
public struct BillingState: Sendable, Equatable {
    public var customerType: CustomerType
    public var paymentMethodAddedAt: Date?
    public var plan: SubscriptionPlan
    public var status: SubscriptionStatus
    public var periodEnd: Date?

    /// Reads the billing fields of `customer`; unknown stored values fall back to the defaults.
    public init(_ customer: Customer) {
        customerType = customer.customerType
        paymentMethodAddedAt = customer.paymentMethodAddedAt
        plan = customer.subscriptionPlan
        status = customer.subscriptionStatus
        periodEnd = customer.subscriptionPeriodEnd
    }

    /// True when the customer can be charged.
    public var hasPaymentMethod: Bool { paymentMethodAddedAt != nil }
}
