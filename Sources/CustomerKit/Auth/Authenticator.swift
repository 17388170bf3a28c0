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
        if try store.customerExists(email) { throw CustomerError.emailTaken(email.normalized) }
        var withHash = new
        withHash.passwordHash = try hasher.hash(request.password)
        return try store.insertCustomer(withHash, actor: actor)
    }

    /// Verifies a password. Every failure is the same `authenticationFailed` after the same work (one
    /// bcrypt at the current cost); over the throttle limit no password is evaluated at all.
    public func login(email text: String, password: String) throws -> Customer {
        let email = try EmailAddress(text)
        let environment = try store.environment()
        try hasher.check(for: environment)
        try throttle.check(for: environment)
        let (attemptId, account) = try store.beginLogin(email, policy: throttle)
        // The same bcrypt work for every outcome, so the time does not tell which accounts exist.
        let verified = try hasher.verifyWithEqualWork(password, against: account?.passwordHash)
        // A password bcrypt would truncate was never set: refuse it instead of matching a prefix.
        let fits = PasswordPolicy.normalize(password).utf8.count <= PasswordPolicy.maximumBytes
        guard verified, fits, let account, account.active else {
            _ = try store.finishLogin(attemptId: attemptId, email: email, outcome: .failure)
            throw AuthError.authenticationFailed
        }
        var upgraded: String?
        if let stored = account.passwordHash, hasher.needsRehash(stored) {
            upgraded = try hasher.hash(password)
        }
        let outcome = LoginOutcome.success(customerId: account.id, newHash: upgraded)
        guard let customer = try store.finishLogin(attemptId: attemptId, email: email, outcome: outcome) else {
            throw AuthError.authenticationFailed
        }
        return customer
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
        return try store.setPassword(customerId: customer.id, hash: hasher.hash(password), actor: actor)
    }

    /// Makes a customer staff at `level`, or revokes staff with nil; audited, idempotent.
    public func setStaff(_ reference: CustomerReference, level: AdminLevel?, actor: Actor) throws -> StaffChange {
        try store.setStaff(reference, level: level, actor: actor)
    }

    /// Who is throttled (or one email's state).
    public func throttleStates(email: String?) throws -> [ThrottleState] {
        try store.throttleStates(email.map(EmailAddress.init), policy: throttle)
    }

    /// Clears one email's recorded attempts (audited); returns how many were removed.
    public func resetThrottle(email: String, actor: Actor) throws -> Int {
        try store.resetThrottle(EmailAddress(email), actor: actor)
    }
}
