/// Everything `customer show` tells about one customer: the record, the credit balance and the plan in
/// effect, the API keys (prefix and status, never a secret) and the linked forge accounts.
public struct CustomerOverview: Sendable {
    public let customer: Customer
    public let balance: Int64
    public let plan: SubscriptionPlan
    public let keys: [ListedAPIKey]
    public let forgeAccounts: [ForgeAccount]

    /// Reads the overview of the customer `reference` names (67 when there is none).
    public init(_ reference: CustomerReference, store: Store, pricing: Pricing = .standard) throws {
        // One read transaction: the parts agree with each other.
        (customer, balance, plan, keys, forgeAccounts) = try store.read { tx in
            let customer = try tx.customers.fetch(reference)
            let now = tx.now
            return (
                customer, try tx.balance(customerId: customer.id),
                pricing.effectivePlan(BillingState(customer), at: now),
                try tx.apiKeys.list(customerId: customer.id, page: .all).map {
                    ListedAPIKey(key: $0.key, customerEmail: $0.email, status: $0.key.status(at: now))
                },
                try tx.forgeAccounts.list(customerId: customer.id, page: .all).map(\.account)
            )
        }
    }
}
