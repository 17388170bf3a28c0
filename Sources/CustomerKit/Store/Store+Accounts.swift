import Foundation
import GRDB

extension AuditEntry: FetchableRecord, TableRecord {
    public static let databaseTableName = "audit_log"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
}

/// How a login attempt ended.
enum LoginOutcome: Sendable {
    case success(customerId: Int64, newHash: String?)
    case failure
}

extension Store {
    // MARK: - Customers

    /// Inserts a customer and its audit entry in one transaction; a taken email is `emailTaken`.
    func insertCustomer(_ new: NewCustomer, actor: Actor) throws -> Customer {
        let stamp = Timestamp.string(from: now)
        let metadata = new.metadataJSON
        return try write { db in
            do {
                try db.execute(
                    sql: """
                        INSERT INTO customers (name, email, email_normalized, password_hash, customer_type,
                          company_name, metadata, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        new.name, new.email.entered, new.email.normalized, new.passwordHash,
                        new.customerType.rawValue, new.companyName, metadata, stamp, stamp,
                    ])
            } catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE {
                throw CustomerError.emailTaken(new.email.normalized)
            }
            let id = db.lastInsertedRowID
            if let run = new.seedRun { try Store.recordSeeded(db, customerId: id, email: new.email, run: run) }
            try Store.audit(
                db, actor: actor, action: "customer.create", customerId: id, subject: new.email.normalized,
                details: [("source", .string(new.source))], at: stamp)
            return try Store.fetchCustomer(db, .id(id))
        }
    }

    /// True when a customer has this normalised email.
    func customerExists(_ email: EmailAddress) throws -> Bool {
        try read { db in
            try Customer.filter(Customer.Columns.emailNormalized == email.normalized).fetchCount(db) > 0
        }
    }

    // MARK: - Login

    /// Reserves one login attempt for `email` in a short IMMEDIATE transaction, or throws `throttled`
    /// without recording anything. The reservation counts as a failure until `finishLogin` says
    /// otherwise, so a process killed during the password check has still used its attempt.
    func beginLogin(_ email: EmailAddress, policy: ThrottlePolicy) throws -> (attemptId: Int64, account: Customer?) {
        let instant = now
        return try write(durable: false) { db in
            let hourAgo = Timestamp.string(from: instant.addingTimeInterval(-ThrottlePolicy.hour))
            try db.execute(
                sql: "DELETE FROM login_attempts WHERE email_normalized = ? AND attempted_at <= ?",
                arguments: [email.normalized, hourAgo])
            let attempts = try String.fetchAll(
                db,
                sql: """
                    SELECT attempted_at FROM login_attempts
                    WHERE email_normalized = ? AND outcome <> 'success' AND attempted_at > ?
                    """,
                arguments: [email.normalized, hourAgo]
            ).compactMap(Timestamp.parse)
            if let retryAfter = policy.retryAfter(attempts: attempts, now: instant) {
                throw ThrottleError.throttled(retryAfter: retryAfter)
            }
            try db.execute(
                sql: "INSERT INTO login_attempts (email_normalized, attempted_at, outcome) VALUES (?, ?, 'pending')",
                arguments: [email.normalized, Timestamp.string(from: instant)])
            let attemptId = db.lastInsertedRowID
            let customer = try Customer.filter(Customer.Columns.emailNormalized == email.normalized).fetchOne(db)
            return (attemptId, customer)
        }
    }

    /// Records how the attempt ended. A success clears the email's failures, stamps last_login_at and
    /// stores an upgraded hash when there is one.
    func finishLogin(attemptId: Int64, email: EmailAddress, outcome: LoginOutcome) throws -> Customer? {
        let stamp = Timestamp.string(from: now)
        // A new hash is worth an fsync; attempt bookkeeping is not.
        let durable: Bool
        if case .success(_, let newHash) = outcome { durable = newHash != nil } else { durable = false }
        return try write(durable: durable) { db in
            switch outcome {
            case .failure:
                try db.execute(
                    sql: "UPDATE login_attempts SET outcome = 'failure' WHERE id = ?", arguments: [attemptId])
                return nil
            case let .success(customerId, newHash):
                try db.execute(
                    sql: "DELETE FROM login_attempts WHERE email_normalized = ? AND (outcome = 'failure' OR id = ?)",
                    arguments: [email.normalized, attemptId])
                try db.execute(
                    sql: """
                        UPDATE customers SET last_login_at = ?, password_hash = COALESCE(?, password_hash),
                          updated_at = CASE WHEN ? IS NULL THEN updated_at ELSE ? END
                        WHERE id = ?
                        """,
                    arguments: [stamp, newHash, newHash, stamp, customerId])
                return try Customer.filter(Customer.Columns.id == customerId).fetchOne(db)
            }
        }
    }

    // MARK: - Passwords

    /// Replaces a customer's password hash, clears the failed logins of its email and audits it
    /// (`password.set`), in one transaction.
    func setPassword(customerId: Int64, hash: String, actor: Actor) throws -> Customer {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            let customer = try Store.fetchCustomer(db, .id(customerId))
            let hadPassword = customer.passwordHash != nil
            try db.execute(
                sql: "UPDATE customers SET password_hash = ?, updated_at = ? WHERE id = ?",
                arguments: [hash, stamp, customerId])
            try db.execute(
                sql: "DELETE FROM login_attempts WHERE email_normalized = ? AND outcome <> 'success'",
                arguments: [customer.emailNormalized])
            try Store.audit(
                db, actor: actor, action: "password.set", customerId: customerId, subject: customer.emailNormalized,
                details: [("replaced", .bool(hadPassword))], at: stamp)
            return try Store.fetchCustomer(db, .id(customerId))
        }
    }

    // MARK: - Throttle administration

    /// Emails with failed attempts in the last hour (or just `email`), with their throttle state.
    func throttleStates(_ email: EmailAddress?, policy: ThrottlePolicy) throws -> [ThrottleState] {
        let instant = now
        let hourAgo = Timestamp.string(from: instant.addingTimeInterval(-ThrottlePolicy.hour))
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT email_normalized, attempted_at FROM login_attempts
                    WHERE outcome <> 'success' AND attempted_at > ? AND (? IS NULL OR email_normalized = ?)
                    ORDER BY email_normalized, attempted_at
                    """,
                arguments: [hourAgo, email?.normalized, email?.normalized])
        }
        var byEmail: [(String, [Date])] = []
        for row in rows {
            let address: String = row["email_normalized"]
            guard let instantOfAttempt = Timestamp.parse(row["attempted_at"]) else { continue }
            if byEmail.last?.0 == address {
                byEmail[byEmail.count - 1].1.append(instantOfAttempt)
            } else {
                byEmail.append((address, [instantOfAttempt]))
            }
        }
        return byEmail.map { address, attempts in
            let retryAfter = policy.retryAfter(attempts: attempts, now: instant)
            return ThrottleState(
                email: address,
                failuresInWindow: attempts.filter { instant.timeIntervalSince($0) < policy.window }.count,
                failuresInHour: attempts.count,
                retryAfter: retryAfter,
                throttledUntil: retryAfter.map { instant.addingTimeInterval(TimeInterval($0)) })
        }
    }

    /// Forgets every recorded attempt for `email` and audits it; returns how many were removed.
    func resetThrottle(_ email: EmailAddress, actor: Actor) throws -> Int {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            try db.execute(sql: "DELETE FROM login_attempts WHERE email_normalized = ?", arguments: [email.normalized])
            let removed = db.changesCount
            let customerId = try Int64.fetchOne(
                db, sql: "SELECT id FROM customers WHERE email_normalized = ?", arguments: [email.normalized])
            try Store.audit(
                db, actor: actor, action: "throttle.reset", customerId: customerId,
                subject: email.normalized, details: [("attempts_removed", .int(Int64(removed)))], at: stamp)
            return removed
        }
    }

    // MARK: - Staff

    /// Sets (or, with nil, revokes) staff access in one transaction with its audit entry; no-op when
    /// the customer already has exactly that access.
    func setStaff(_ reference: CustomerReference, level: AdminLevel?, actor: Actor) throws -> StaffChange {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            let current = try Store.fetchCustomer(db, reference)
            if current.adminLevel == level && current.isStaff == (level != nil) {
                return StaffChange(customer: current, changed: false)
            }
            try db.execute(
                sql: "UPDATE customers SET is_staff = ?, admin_level = ?, updated_at = ? WHERE id = ?",
                arguments: [level != nil, level?.rawValue, stamp, current.id])
            try Store.audit(
                db, actor: actor, action: level == nil ? "staff.revoke" : "staff.grant", customerId: current.id,
                subject: current.emailNormalized,
                details: [("from", .optional(current.adminLevel?.rawValue)), ("to", .optional(level?.rawValue))],
                at: stamp)
            return StaffChange(customer: try Store.fetchCustomer(db, .id(current.id)), changed: true)
        }
    }

    // MARK: - Audit

    /// Audit entries, newest first, optionally for one customer.
    public func auditEntries(_ query: AuditQuery = AuditQuery()) throws -> Paged<AuditEntry> {
        try read { db in
            var request = AuditEntry.all().order(Column("id").desc)
            if let customerId = query.customerId { request = request.filter(Column("customer_id") == customerId) }
            if let action = query.action {
                request = request.filter(
                    sql: "action = ?1 OR (instr(?1, '.') = 0 AND substr(action, 1, length(?1) + 1) = ?1 || '.')",
                    arguments: [action])
            }
            if let since = query.since {
                request = request.filter(Column("created_at") >= Timestamp.string(from: since))
            }
            if let afterId = query.page.afterId { request = request.filter(Column("id") < afterId) }
            if let limit = query.page.fetchLimit { request = request.limit(limit) }
            return query.page.cut(try request.fetchAll(db), id: \.id)
        }
    }

    static func audit(
        _ db: Database, actor: Actor, action: String, customerId: Int64?, subject: String?,
        details: [(String, JSONValue)], at stamp: String
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO audit_log (actor, os_user, action, customer_id, subject, details, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                actor.name, actor.osUser, action, customerId, subject, JSONValue.object(details).serialized, stamp,
            ])
    }

    static func fetchCustomer(_ db: Database, _ reference: CustomerReference) throws -> Customer {
        let found: Customer?
        switch reference {
        case .id(let id):
            found = try Customer.filter(Customer.Columns.id == id).fetchOne(db)
        case .email(let email):
            found = try Customer.filter(Customer.Columns.emailNormalized == email.normalized).fetchOne(db)
        }
        guard let found else { throw CustomerError.notFound(reference.description) }
        return found
    }
}
