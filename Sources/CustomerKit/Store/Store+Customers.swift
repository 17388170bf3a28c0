import GRDB

extension Customer: FetchableRecord, TableRecord {
    public static let databaseTableName = "customers"

    /// Column names as the contract spells them.
    public enum Columns {
        static let id = Column("id")
        static let emailNormalized = Column("email_normalized")
        static let isStaff = Column("is_staff")
        static let active = Column("active")
    }

    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
}

extension Store {
    /// Customers matching `query`, in id order.
    public func customers(_ query: CustomerQuery) throws -> [Customer] {
        try read { db in
            var request = Customer.all().order(Customer.Columns.id)
            if let staff = query.staff { request = request.filter(Customer.Columns.isStaff == staff) }
            if let active = query.active { request = request.filter(Customer.Columns.active == active) }
            if let afterId = query.afterId { request = request.filter(Customer.Columns.id > afterId) }
            if let limit = query.limit { request = request.limit(limit) }
            return try request.fetchAll(db)
        }
    }

    /// The customer `reference` names, or `CustomerError.notFound`.
    public func customer(_ reference: CustomerReference) throws -> Customer {
        try read { db in try Store.fetchCustomer(db, reference) }
    }
}
