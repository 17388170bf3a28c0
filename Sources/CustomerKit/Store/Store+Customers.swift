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
    public func customers(_ query: CustomerQuery) throws -> Paged<Customer> {
        try read { db in
            var request = Customer.all().order(Customer.Columns.id)
            if let staff = query.staff { request = request.filter(Customer.Columns.isStaff == staff) }
            if let active = query.active { request = request.filter(Customer.Columns.active == active) }
            if let afterId = query.page.afterId { request = request.filter(Customer.Columns.id > afterId) }
            if let limit = query.page.fetchLimit { request = request.limit(limit) }
            return query.page.cut(try request.fetchAll(db), id: \.id)
        }
    }

    /// The customer `reference` names, or `CustomerError.notFound`.
    public func customer(_ reference: CustomerReference) throws -> Customer {
        try read { db in try Store.fetchCustomer(db, reference) }
    }
}

extension Store {
    /// Erases a customer's personal data in one transaction (see `CustomerErasure`); with `dryRun`,
    /// counts what would go and changes nothing.
    func eraseCustomer(_ reference: CustomerReference, dryRun: Bool, actor: Actor) throws -> ErasureResult {
        let stamp = Timestamp.string(from: now)
        let body = { (db: Database) throws -> ErasureResult in
            let customer = try Store.fetchCustomer(db, reference)
            let plan = try Store.erasurePlan(db, customer)
            if dryRun || customer.erasedAt != nil {
                return ErasureResult(plan: plan, changed: false, dryRun: dryRun)
            }
            let id = customer.id
            // Freed cells are zeroed, so the erased values do not linger in the file's free space.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(
                sql: """
                    UPDATE customers SET email = ?, email_normalized = ?, name = 'erased', company_name = NULL,
                      metadata = '{}', password_hash = NULL, is_staff = 0, admin_level = NULL, active = 0,
                      confirmed_at = NULL, last_login_at = NULL, erased_at = ?, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [plan.erasedEmail, plan.erasedEmail, stamp, stamp, id])
            try db.execute(
                sql: """
                    UPDATE api_keys SET active = 0, revoked_at = COALESCE(revoked_at, ?), name = 'erased'
                    WHERE customer_id = ?
                    """,
                arguments: [stamp, id])
            try db.execute(sql: "DELETE FROM forge_accounts WHERE customer_id = ?", arguments: [id])
            try db.execute(
                sql: "DELETE FROM scheduled_emails WHERE customer_id = ? AND sent_at IS NULL", arguments: [id])
            try db.execute(
                sql: "DELETE FROM login_attempts WHERE email_normalized = ?", arguments: [customer.emailNormalized])
            try db.execute(sql: "DELETE FROM provision_requests WHERE customer_id = ?", arguments: [id])
            try db.execute(
                sql: "UPDATE audit_log SET subject = ? WHERE customer_id = ? AND subject = ?",
                arguments: [plan.erasedEmail, id, customer.emailNormalized])
            let fingerprint = CustomerErasure.fingerprint(normalized: customer.emailNormalized)
            try Store.audit(
                db, actor: actor, action: "customer.erase", customerId: id, subject: plan.erasedEmail,
                details: [("email_sha256", .string(fingerprint))], at: stamp)
            return ErasureResult(plan: plan, changed: true, dryRun: false)
        }
        return dryRun ? try read(body) : try write(body)
    }

    private static func erasurePlan(_ db: Database, _ customer: Customer) throws -> ErasurePlan {
        func count(_ sql: String, _ arguments: StatementArguments) throws -> Int {
            try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0
        }
        let id = customer.id
        return ErasurePlan(
            customerId: id, email: customer.email, erasedEmail: CustomerErasure.erasedEmail(id: id),
            apiKeysRevoked: try count(
                "SELECT count(*) FROM api_keys WHERE customer_id = ? AND revoked_at IS NULL AND active", [id]),
            forgeAccounts: try String.fetchAll(
                db, sql: "SELECT forge_type || ':' || namespace FROM forge_accounts WHERE customer_id = ? ORDER BY id",
                arguments: [id]),
            pendingEmails: try count(
                "SELECT count(*) FROM scheduled_emails WHERE customer_id = ? AND sent_at IS NULL", [id]),
            loginAttempts: try count(
                "SELECT count(*) FROM login_attempts WHERE email_normalized = ?", [customer.emailNormalized]),
            provisionRecords: try count("SELECT count(*) FROM provision_requests WHERE customer_id = ?", [id]),
            auditSubjects: try count(
                "SELECT count(*) FROM audit_log WHERE customer_id = ? AND subject = ?", [id, customer.emailNormalized]),
            hadPassword: customer.passwordHash != nil, wasStaff: customer.isStaff)
    }

    /// The erasure recorded for an email's fingerprint, if any.
    func erasureRecord(fingerprint: String) throws -> ErasureRecord? {
        try read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT customer_id, created_at FROM audit_log
                    WHERE action = 'customer.erase' AND json_extract(details, '$.email_sha256') = ?
                    ORDER BY id DESC LIMIT 1
                    """,
                arguments: [fingerprint]
            ).map { ErasureRecord(customerId: $0["customer_id"], erasedAt: $0["created_at"]) }
        }
    }
}
