extension Store {
    /// Customers matching `query`, in id order.
    public func customers(_ query: CustomerQuery) throws -> Paged<Customer> {
        try read { try $0.customers.list(query) }
    }

    /// The customer `reference` names, or `CustomerError.notFound`.
    public func customer(_ reference: CustomerReference) throws -> Customer {
        try read { try $0.customers.fetch(reference) }
    }
}

extension NewCustomer {
    /// Inserts the customer and, when seed made it, records that for `seed --clean`; returns its id.
    func insert(in tx: any StorageTransaction, billingCustomerId: String? = nil) throws -> Int64 {
        let id = try tx.customers.insert(self, billingCustomerId: billingCustomerId)
        if let seedRun { try tx.seedRuns.recordCustomer(id, email: email.normalized, run: seedRun) }
        return id
    }
}
