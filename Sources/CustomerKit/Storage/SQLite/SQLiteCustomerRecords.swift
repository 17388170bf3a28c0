import Foundation
import GRDB

extension AdminLevel: DatabaseValueConvertible {}
extension CustomerType: DatabaseValueConvertible {}
extension SubscriptionPlan: DatabaseValueConvertible {}
extension SubscriptionStatus: DatabaseValueConvertible {}

extension Customer: FetchableRecord, TableRecord {
    public static let databaseTableName = "customers"

    /// Reads a `customers` row; stored instants become `Date` here (see `StoredValue`).
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), name: try row.decode(forColumn: "name"),
            email: try row.decode(forColumn: "email"), emailNormalized: try row.decode(forColumn: "email_normalized"),
            passwordHash: try row.decode(forColumn: "password_hash"), isStaff: try row.decode(forColumn: "is_staff"),
            adminLevel: try row.decode(forColumn: "admin_level"),
            customerType: try row.decode(forColumn: "customer_type"),
            companyName: try row.decode(forColumn: "company_name"), active: try row.decode(forColumn: "active"),
            metadata: try row.json("metadata"), monthlyLimit: try row.decode(forColumn: "monthly_limit"),
            currentUsage: try row.decode(forColumn: "current_usage"),
            trialFixesUsed: try row.decode(forColumn: "trial_fixes_used"),
            trialFixesLimit: try row.decode(forColumn: "trial_fixes_limit"),
            trialExpiredAt: try row.instantIfPresent("trial_expired_at"),
            paymentMethodAddedAt: try row.instantIfPresent("payment_method_added_at"),
            stripeCustomerId: try row.decode(forColumn: "stripe_customer_id"),
            subscriptionPlan: try row.decode(forColumn: "subscription_plan"),
            subscriptionStatus: try row.decode(forColumn: "subscription_status"),
            subscriptionPeriodEnd: try row.instantIfPresent("subscription_period_end"),
            rolloverFixes: try row.decode(forColumn: "rollover_fixes"),
            confirmedAt: try row.instantIfPresent("confirmed_at"),
            lastLoginAt: try row.instantIfPresent("last_login_at"),
            createdAt: try row.instant("created_at"), updatedAt: try row.instant("updated_at"),
            erasedAt: try row.instantIfPresent("erased_at"))
    }

    /// Column names as the contract spells them.
    public enum Columns {
        static let id = Column("id")
        static let emailNormalized = Column("email_normalized")
        static let isStaff = Column("is_staff")
        static let active = Column("active")
    }
}

/// `customers` on SQLite.
struct SQLiteCustomerRecords: CustomerRecords {
    let db: Database
    let now: Date
    private var stamp: String { Timestamp.string(from: now) }

    func find(_ reference: CustomerReference) throws -> Customer? {
        switch reference {
        case .id(let id):
            return try Customer.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM customers WHERE id = ?"), arguments: [id])
        case .email(let email):
            return try Customer.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM customers WHERE email_normalized = ?"),
                arguments: [email.normalized])
        }
    }

    func identity(_ reference: CustomerReference) throws -> (id: Int64, email: String)? {
        let row: Row?
        switch reference {
        case .id(let id):
            row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT id, email FROM customers WHERE id = ?"), arguments: [id])
        case .email(let email):
            row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT id, email FROM customers WHERE email_normalized = ?"),
                arguments: [email.normalized])
        }
        return row.map { ($0[0], $0[1]) }
    }

    func list(_ query: CustomerQuery) throws -> Paged<Customer> {
        var request = Customer.all().order(Customer.Columns.id)
        if let staff = query.staff { request = request.filter(Customer.Columns.isStaff == staff) }
        if let active = query.active { request = request.filter(Customer.Columns.active == active) }
        if let afterId = query.page.afterId { request = request.filter(Customer.Columns.id > afterId) }
        if let limit = query.page.fetchLimit { request = request.limit(limit) }
        return query.page.cut(try request.fetchAll(db), id: \.id)
    }

    func insert(_ new: NewCustomer, billingCustomerId: String?) throws -> Int64 {
        do {
            try db.run(
                """
                INSERT INTO customers (name, email, email_normalized, password_hash, customer_type, company_name,
                  metadata, stripe_customer_id, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    new.name, new.email.entered, new.email.normalized, new.passwordHash, new.customerType.rawValue,
                    new.companyName, new.metadata.serialized, billingCustomerId, stamp, stamp,
                ])
        } catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE {
            throw CustomerError.emailTaken(new.email.normalized)
        }
        return db.lastInsertedRowID
    }

    func setActive(_ id: Int64, _ active: Bool) throws {
        try db.run("UPDATE customers SET active = ?, updated_at = ? WHERE id = ?", [active, stamp, id])
    }

    func update(_ id: Int64, name: String, company: String?, type: CustomerType) throws {
        try db.run(
            "UPDATE customers SET name = ?, company_name = ?, customer_type = ?, updated_at = ? WHERE id = ?",
            [name, company, type.rawValue, stamp, id])
    }

    func setStaff(_ id: Int64, level: AdminLevel?) throws {
        try db.run(
            "UPDATE customers SET is_staff = ?, admin_level = ?, updated_at = ? WHERE id = ?",
            [level != nil, level?.rawValue, stamp, id])
    }

    func setPasswordHash(_ id: Int64, _ hash: String) throws {
        try db.run("UPDATE customers SET password_hash = ?, updated_at = ? WHERE id = ?", [hash, stamp, id])
    }

    func recordLogin(_ id: Int64, upgradedHash: String?) throws {
        try db.run(
            """
            UPDATE customers SET last_login_at = ?, password_hash = COALESCE(?, password_hash),
              updated_at = CASE WHEN ? IS NULL THEN updated_at ELSE ? END
            WHERE id = ?
            """,
            [stamp, upgradedHash, upgradedHash, stamp, id])
    }

    func addUsage(_ id: Int64, fixes: Int64) throws {
        try db.run(
            "UPDATE customers SET current_usage = current_usage + ?, updated_at = ? WHERE id = ?", [fixes, stamp, id])
    }

    func updateBilling(_ id: Int64, _ billing: BillingState) throws {
        try db.run(
            """
            UPDATE customers SET customer_type = ?, payment_method_added_at = ?, subscription_plan = ?,
              subscription_status = ?, subscription_period_end = ?, updated_at = ?
            WHERE id = ?
            """,
            [
                billing.customerType.rawValue, billing.paymentMethodAddedAt.map(Timestamp.string(from:)),
                billing.plan.rawValue, billing.status.rawValue, billing.periodEnd.map(Timestamp.string(from:)), stamp,
                id,
            ])
    }

    func erase(_ id: Int64, erasedEmail: String) throws {
        // Freed cells are zeroed, so the erased values do not linger in the file's free space.
        try db.execute(sql: "PRAGMA secure_delete = ON")
        try db.run(
            """
            UPDATE customers SET email = ?, email_normalized = ?, name = 'erased', company_name = NULL,
              metadata = '{}', password_hash = NULL, is_staff = 0, admin_level = NULL, active = 0,
              confirmed_at = NULL, last_login_at = NULL, erased_at = ?, updated_at = ?
            WHERE id = ?
            """,
            [erasedEmail, erasedEmail, stamp, stamp, id])
    }

    func deleteSeeded() throws -> Int {
        // Id and email both: an id reused after a deletion behind custctl's back is not seed's.
        try db.execute(
            sql: """
                DELETE FROM customers WHERE id IN (SELECT s.customer_id FROM seed_customers s
                  JOIN customers c ON c.id = s.customer_id AND c.email_normalized = s.email_normalized)
                """)
        return db.changesCount
    }

    func deleteAll() throws -> Int {
        try db.execute(sql: "DELETE FROM customers")
        return db.changesCount
    }
}
