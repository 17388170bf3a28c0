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
        customer = try store.customer(reference)
        let id = CustomerReference.id(customer.id)
        balance = try CreditLedger(store: store, pricing: pricing).balance(id).balance
        plan = pricing.effectivePlan(BillingState(customer), at: store.now)
        keys = try APIKeys(store: store).list(for: id).items
        forgeAccounts = try ForgeAccounts(store: store).list(for: id).map(\.account)
    }
}
