import Foundation

/// A registration request as the command received it.
public struct Registration: Sendable {
    public var email: String
    public var name: String
    public var companyName: String?
    public var customerType: CustomerType
    public var password: String
    /// Where the customer came from (`metadata.source`).
    public var source = "direct"
    /// The seed run creating it, if any.
    public var seedRun: String?

    public init(
        email: String, name: String, companyName: String? = nil, customerType: CustomerType = .trial, password: String
    ) {
        self.email = email
        self.name = name
        self.companyName = companyName
        self.customerType = customerType
        self.password = password
    }
}

/// Registration, login and staff administration: the rules of SPEC 5.1 to 5.3 over the store.
public struct Authenticator: Sendable {
    let store: Store
    let hasher: PasswordHasher
    let policy: PasswordPolicy
    let throttle: ThrottlePolicy

    /// Rules over `store`, hashing at `hasher`'s cost and throttling with `throttle`.
    public init(store: Store, hasher: PasswordHasher, throttle: ThrottlePolicy = ThrottlePolicy()) {
        self.store = store
        self.hasher = hasher
        self.policy = PasswordPolicy()
        self.throttle = throttle
    }

    /// Creates a customer with a password. Invalid data is reported before any hashing; a taken
    /// email is a conflict.
    public func register(_ request: Registration, actor: Actor) throws -> Customer {
        let email = try EmailAddress(request.email)
        let new = try NewCustomer(
            email: email, name: request.name, companyName: request.companyName, customerType: request.customerType,
            source: request.source, seedRun: request.seedRun)
        try policy.check(request.password, email: email, name: new.name)
        try hasher.check(for: store.environment())
        if try store.read({ try $0.customers.identity(.email(email)) }) != nil {
            throw CustomerError.emailTaken(email.normalized)
        }
        var withHash = new
        withHash.passwordHash = try hasher.hash(request.password)
        return try store.write { tx in
            let id = try withHash.insert(in: tx)
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "customer.create", customerId: id, subject: email.normalized,
                    details: [("source", .string(new.source))]), at: tx.now)
            return try tx.customers.fetch(.id(id))
        }
    }

    /// Verifies a password. Every failure is the same `authenticationFailed` after the same work (one
    /// bcrypt at the current cost); over the throttle limit no password is evaluated at all.
    public func login(email text: String, password: String) throws -> Customer {
        let email = try EmailAddress(text)
        let environment = try store.environment()
        try hasher.check(for: environment)
        try throttle.check(for: environment)
        let (attemptId, account) = try beginLogin(email)
        // The same bcrypt work for every outcome, so the time does not tell which accounts exist.
        let verified = try hasher.verifyWithEqualWork(password, against: account?.passwordHash)
        // A password bcrypt would truncate was never set: refuse it instead of matching a prefix.
        let fits = PasswordPolicy.normalize(password).utf8.count <= PasswordPolicy.maximumBytes
        guard verified, fits, let account, account.active else {
            // Attempt bookkeeping is not worth an fsync; the attempt already counts as a failure.
            try store.write(durable: false) { tx in try tx.logins.markFailed(attemptId) }
            throw AuthError.authenticationFailed
        }
        var upgraded: String?
        if let stored = account.passwordHash, hasher.needsRehash(stored) {
            upgraded = try hasher.hash(password)
        }
        // A new hash is worth an fsync; attempt bookkeeping is not.
        let customer = try store.write(durable: upgraded != nil) { tx in
            try tx.logins.clearFailures(email.normalized, andAttempt: attemptId)
            try tx.customers.recordLogin(account.id, upgradedHash: upgraded)
            return try tx.customers.find(.id(account.id))
        }
        guard let customer else { throw AuthError.authenticationFailed }
        return customer
    }

    /// Reserves one login attempt for `email` in a short write transaction, or throws `throttled`
    /// without recording anything. The reservation counts as a failure until the login says otherwise,
    /// so a process killed during the password check has still used its attempt.
    private func beginLogin(_ email: EmailAddress) throws -> (attemptId: Int64, account: Customer?) {
        try store.write(durable: false) { tx in
            let hourAgo = tx.now.addingTimeInterval(-ThrottlePolicy.hour)
            try tx.logins.deleteAttempts(email.normalized, through: hourAgo)
            let attempts = try tx.logins.unsuccessfulAttempts(email.normalized, after: hourAgo)
            if let retryAfter = throttle.retryAfter(attempts: attempts, now: tx.now) {
                throw ThrottleError.throttled(retryAfter: retryAfter)
            }
            let attemptId = try tx.logins.insertPending(email.normalized, at: tx.now)
            return (attemptId, try tx.customers.find(.email(email)))
        }
    }

    /// The customer whose password `setPassword` would set, for checking a password before asking
    /// for it again (the policy needs the customer's email and name).
    public func passwordTarget(_ reference: CustomerReference) throws -> Customer {
        try store.customer(reference)
    }

    /// The policy's verdict on `password` for `customer` (SPEC 5.1 with its email and name).
    public func checkPolicy(_ password: String, for customer: Customer) throws {
        try policy.check(password, email: try EmailAddress(customer.emailNormalized), name: customer.name)
    }

    /// Sets or replaces a customer's password (policy with its email and name, bcrypt at the current
    /// cost); clears its email's failed-login throttle; audited as `password.set`.
    public func setPassword(_ reference: CustomerReference, password: String, actor: Actor) throws -> Customer {
        let customer = try store.customer(reference)
        try checkPolicy(password, for: customer)
        try hasher.check(for: store.environment())
        let hash = try hasher.hash(password)
        return try store.write { tx in
            let current = try tx.customers.fetch(.id(customer.id))
            try tx.customers.setPasswordHash(current.id, hash)
            try tx.logins.clearUnsuccessful(current.emailNormalized)
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "password.set", customerId: current.id, subject: current.emailNormalized,
                    details: [("replaced", .bool(current.passwordHash != nil))]), at: tx.now)
            return try tx.customers.fetch(.id(current.id))
        }
    }

    /// Makes a customer staff at `level`, or revokes staff with nil; audited, idempotent.
    public func setStaff(_ reference: CustomerReference, level: AdminLevel?, actor: Actor) throws -> StaffChange {
        try store.write { tx in try Self.setStaff(reference, level: level, actor: actor, in: tx) }
    }

    /// Sets staff access inside an open transaction; no-op when the customer already has exactly that.
    static func setStaff(
        _ reference: CustomerReference, level: AdminLevel?, actor: Actor, in tx: any StorageTransaction
    )
        throws -> StaffChange
    {
        let current = try tx.customers.fetch(reference)
        if current.adminLevel == level && current.isStaff == (level != nil) {
            return StaffChange(customer: current, changed: false)
        }
        try tx.customers.setStaff(current.id, level: level)
        try tx.audit.append(
            NewAuditEntry(
                actor: actor, action: level == nil ? "staff.revoke" : "staff.grant", customerId: current.id,
                subject: current.emailNormalized,
                details: [("from", .optional(current.adminLevel?.rawValue)), ("to", .optional(level?.rawValue))]),
            at: tx.now)
        return StaffChange(customer: try tx.customers.fetch(.id(current.id)), changed: true)
    }

    /// Who is throttled (or one email's state).
    public func throttleStates(email: String?) throws -> [ThrottleState] {
        let address = try email.map(EmailAddress.init)
        return try store.read { tx in
            let now = tx.now
            return try tx.logins.unsuccessfulAttemptsByEmail(
                address?.normalized, after: now.addingTimeInterval(-ThrottlePolicy.hour)
            ).map { email, attempts in
                let retryAfter = throttle.retryAfter(attempts: attempts, now: now)
                return ThrottleState(
                    email: email,
                    failuresInWindow: attempts.filter { now.timeIntervalSince($0) < throttle.window }.count,
                    failuresInHour: attempts.count, retryAfter: retryAfter,
                    throttledUntil: retryAfter.map { now.addingTimeInterval(TimeInterval($0)) })
            }
        }
    }

    /// Clears one email's recorded attempts (audited); returns how many were removed.
    public func resetThrottle(email: String, actor: Actor) throws -> Int {
        let address = try EmailAddress(email)
        return try store.write { tx in
            let removed = try tx.logins.deleteAll(address.normalized)
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "throttle.reset", customerId: try tx.customers.identity(.email(address))?.id,
                    subject: address.normalized, details: [("attempts_removed", .int(Int64(removed)))]), at: tx.now)
            return removed
        }
    }
}
