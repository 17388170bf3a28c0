import Foundation

/// `customers` on PostgreSQL.
struct PostgreSQLCustomerRecords: CustomerRecords {
    let tx: PostgreSQLTransaction
    private var s: String { tx.s }

    /// Every column, in the order `customer(_:)` reads them.
    static let columns = """
        id, name, email, email_normalized, password_hash, is_staff, admin_level, customer_type, company_name, active,
        metadata, monthly_limit, current_usage, trial_fixes_used, trial_fixes_limit, trial_expired_at,
        payment_method_added_at, stripe_customer_id, subscription_plan, subscription_status, subscription_period_end,
        rollover_fixes, confirmed_at, last_login_at, created_at, updated_at, erased_at
        """

    static func customer(_ row: PQRow) throws -> Customer {
        Customer(
            id: try row.int64(0), name: try row.string(1), email: try row.string(2),
            emailNormalized: try row.string(3), passwordHash: try row.optionalString(4), isStaff: try row.bool(5),
            adminLevel: try row.optionalString(6).flatMap(AdminLevel.init(rawValue:)),
            customerType: try row.enumeration(7), companyName: try row.optionalString(8), active: try row.bool(9),
            metadata: try row.json(10), monthlyLimit: try row.int64(11), currentUsage: try row.int64(12),
            trialFixesUsed: try row.int64(13), trialFixesLimit: try row.int64(14),
            trialExpiredAt: try row.optionalInstant(15), paymentMethodAddedAt: try row.optionalInstant(16),
            stripeCustomerId: try row.optionalString(17), subscriptionPlan: try row.enumeration(18),
            subscriptionStatus: try row.enumeration(19), subscriptionPeriodEnd: try row.optionalInstant(20),
            rolloverFixes: try row.int64(21), confirmedAt: try row.optionalInstant(22),
            lastLoginAt: try row.optionalInstant(23), createdAt: try row.instant(24), updatedAt: try row.instant(25),
            erasedAt: try row.optionalInstant(26))
    }

    /// The condition naming a customer, and its parameter.
    private func condition(_ reference: CustomerReference) -> (String, any PQParameter) {
        switch reference {
        case .id(let id): return ("id = $1", id)
        case .email(let email): return ("email_normalized = $1", email.normalized)
        }
    }

    func find(_ reference: CustomerReference) throws -> Customer? {
        let (condition, value) = condition(reference)
        let found = try tx.query(
            "SELECT \(Self.columns) FROM \(s).customers WHERE \(condition)\(tx.forUpdate)", [value]
        ).first.map(Self.customer)
        if let found { tx.lockedCustomer(found.id) }
        return found
    }

    func identity(_ reference: CustomerReference) throws -> (id: Int64, email: String)? {
        let (condition, value) = condition(reference)
        guard let row = try tx.query("SELECT id, email FROM \(s).customers WHERE \(condition)", [value]).first else {
            return nil
        }
        return (try row.int64(0), try row.string(1))
    }

    func list(_ query: CustomerQuery) throws -> Paged<Customer> {
        var filter = PQFilter()
        if let staff = query.staff { filter.add(staff) { "is_staff = \($0)" } }
        if let active = query.active { filter.add(active) { "active = \($0)" } }
        if let afterId = query.page.afterId { filter.add(afterId) { "id > \($0)" } }
        let limit = query.page.fetchLimit.map { " LIMIT \($0)" } ?? ""
        let rows = try tx.query(
            "SELECT \(Self.columns) FROM \(s).customers\(filter.clause) ORDER BY id\(limit)", filter.parameters)
        return query.page.cut(try rows.rows.map(Self.customer), id: \.id)
    }

    func insert(_ new: NewCustomer, billingCustomerId: String?) throws -> Int64 {
        do {
            let row = try tx.query(
                """
                INSERT INTO \(s).customers (name, email, email_normalized, password_hash, customer_type, company_name,
                  metadata, stripe_customer_id, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id
                """,
                [
                    new.name, new.email.entered, new.email.normalized, new.passwordHash, new.customerType.rawValue,
                    new.companyName, new.metadata, billingCustomerId, tx.now,
                ])
            return try row.first?.int64(0) ?? 0
        } catch let error as PQError where error.sqlState == "23505" {
            throw CustomerError.emailTaken(new.email.normalized)
        }
    }

    func setActive(_ id: Int64, _ active: Bool) throws {
        try tx.query("UPDATE \(s).customers SET active = $1, updated_at = $2 WHERE id = $3", [active, tx.now, id])
    }

    func update(_ id: Int64, name: String, company: String?, type: CustomerType) throws {
        try tx.query(
            "UPDATE \(s).customers SET name = $1, company_name = $2, customer_type = $3, updated_at = $4 WHERE id = $5",
            [name, company, type.rawValue, tx.now, id])
    }

    func setStaff(_ id: Int64, level: AdminLevel?) throws {
        try tx.query(
            "UPDATE \(s).customers SET is_staff = $1, admin_level = $2, updated_at = $3 WHERE id = $4",
            [level != nil, level?.rawValue, tx.now, id])
    }

    func setPasswordHash(_ id: Int64, _ hash: String) throws {
        try tx.query(
            "UPDATE \(s).customers SET password_hash = $1, updated_at = $2 WHERE id = $3", [hash, tx.now, id])
    }

    func recordLogin(_ id: Int64, upgradedHash: String?) throws {
        try tx.query(
            """
            UPDATE \(s).customers SET last_login_at = $1, password_hash = COALESCE($2, password_hash),
              updated_at = CASE WHEN $2::text IS NULL THEN updated_at ELSE $1 END
            WHERE id = $3
            """,
            [tx.now, upgradedHash, id])
    }

    func addUsage(_ id: Int64, fixes: Int64) throws {
        try tx.query(
            "UPDATE \(s).customers SET current_usage = current_usage + $1, updated_at = $2 WHERE id = $3",
            [fixes, tx.now, id])
    }

    func updateBilling(_ id: Int64, _ billing: BillingState) throws {
        try tx.query(
            """
            UPDATE \(s).customers SET customer_type = $1, payment_method_added_at = $2, subscription_plan = $3,
              subscription_status = $4, subscription_period_end = $5, updated_at = $6
            WHERE id = $7
            """,
            [
                billing.customerType.rawValue, billing.paymentMethodAddedAt, billing.plan.rawValue,
                billing.status.rawValue, billing.periodEnd, tx.now, id,
            ])
    }

    func erase(_ id: Int64, erasedEmail: String) throws {
        // PostgreSQL keeps old row versions until VACUUM (docs/postgresql.md says what to run).
        try tx.query(
            """
            UPDATE \(s).customers SET email = $1, email_normalized = $1, name = 'erased', company_name = NULL,
              metadata = '{}', password_hash = NULL, is_staff = false, admin_level = NULL, active = false,
              confirmed_at = NULL, last_login_at = NULL, erased_at = $2, updated_at = $2
            WHERE id = $3
            """,
            [erasedEmail, tx.now, id])
    }

    func deleteSeeded() throws -> Int {
        // Id and email both: an id reused after a deletion behind custctl's back is not seed's.
        try tx.query(
            """
            DELETE FROM \(s).customers WHERE id IN (SELECT sc.customer_id FROM \(s).seed_customers sc
              JOIN \(s).customers c ON c.id = sc.customer_id AND c.email_normalized = sc.email_normalized)
            """
        ).affected
    }

    func deleteAll() throws -> Int {
        try tx.query("DELETE FROM \(s).customers").affected
    }
}
