import Foundation

/// What a seed run did.
public struct SeedReport: Sendable, Equatable {
    /// The tag written to every customer it created (`metadata.seed_run`).
    public let runId: String
    /// Plan customers created, and those already there (left unchanged).
    public let created: [String]
    public let skipped: [String]
    /// Synthetic customers created (those already there are skipped).
    public let syntheticCreated: Int
    /// Passwords made up by this run, to show once.
    public let generatedPasswords: [(email: String, password: String)]
    /// API keys created by this run, to show once: customer email, key name, plaintext.
    public let keys: [(email: String, name: String, key: String)]

    public static func == (lhs: SeedReport, rhs: SeedReport) -> Bool {
        lhs.runId == rhs.runId && lhs.created == rhs.created && lhs.skipped == rhs.skipped
            && lhs.syntheticCreated == rhs.syntheticCreated && lhs.keys.map(\.key) == rhs.keys.map(\.key)
    }
}

/// Seeds development databases through the same core APIs as every command (registration,
/// provisioning, the ledger, API keys): idempotent by email, deterministic for a random seed, and
/// refused on production.
public struct Seeder: Sendable {
    let store: Store
    let hasher: PasswordHasher
    let actor: Actor

    public init(store: Store, hasher: PasswordHasher, actor: Actor) {
        self.store = store
        self.hasher = hasher
        self.actor = actor
    }

    /// Creates what `plan` and `count` synthetic customers ask for that is not there yet.
    public func seed(
        plan: SeedPlan?, count: Int = 0, randomSeed: UInt64 = 1, withPasswords: Bool = false,
        adminPassword: String? = nil,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> SeedReport {
        try store.refuseProduction("seed")
        let runId = "seed-" + Timestamp.string(from: store.now).filter { $0.isNumber || $0 == "T" } + "Z"
        var created: [String] = []
        var skipped: [String] = []
        var passwords: [(String, String)] = []
        var keys: [(String, String, String)] = []
        // The run's record and every plan customer in one transaction: a run killed at any point
        // leaves the whole plan or none of it, never an admin without staff or a Pro customer not on
        // Pro (SPEC 5.12).
        try store.inOneTransaction {
            try store.write { tx in try tx.seedRuns.beginRun(runId, actor: actor, at: tx.now) }
            for customer in plan?.customers ?? [] {
                let email = try EmailAddress(customer.email)
                if try store.read({ try $0.customers.identity(.email(email)) }) != nil {
                    skipped.append(email.normalized)
                    continue
                }
                try seedCustomer(
                    customer, runId: runId, adminPassword: adminPassword, passwords: &passwords, keys: &keys)
                created.append(email.normalized)
            }
        }
        var synthetic = 0
        if count > 0 {
            var generator = SeededGenerator(seed: randomSeed)
            var password: String?
            var hash: String?
            if withPasswords {
                password = Self.generatePassword()
                hash = try password.map(hasher.hash)
            }
            let records = (1...count).map { index -> (line: Int, request: ProvisionRequest) in
                var request = SyntheticCustomers.make(index: index, using: &generator)
                request.seedRun = runId
                request.passwordHash = hash
                return (index, request)
            }
            let provisioner = Provisioner(store: store, billing: LocalBilling(), actor: actor)
            let results = try provisioner.provisionAtomically(records, ifNotExists: true) { progress($0, count) }
            synthetic = results.filter(\.created).count
            for result in results where result.created {
                if let key = result.apiKey { keys.append((result.email, "Default", key)) }
            }
            if let password, synthetic > 0 { passwords.append(("(every synthetic customer)", password)) }
        }
        try store.write { tx in
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "seed.run", subject: runId,
                    details: [
                        ("created", .int(Int64(created.count))), ("skipped", .int(Int64(skipped.count))),
                        ("synthetic_created", .int(Int64(synthetic))),
                    ]), at: tx.now)
        }
        return SeedReport(
            runId: runId, created: created, skipped: skipped, syntheticCreated: synthetic,
            generatedPasswords: passwords, keys: keys)
    }

    private func seedCustomer(
        _ customer: SeedPlan.Customer, runId: String, adminPassword: String?,
        passwords: inout [(String, String)], keys: inout [(String, String, String)]
    ) throws {
        let reference = CustomerReference.email(try EmailAddress(customer.email))
        if let level = customer.staff {
            let password: String
            switch customer.password {
            case .admin?:
                if let adminPassword {
                    password = adminPassword
                } else {
                    password = Self.generatePassword()
                    passwords.append((customer.email, password))
                }
            case .generate?:
                password = Self.generatePassword()
                passwords.append((customer.email, password))
            case .none?, nil:
                throw SeedError.staffWithoutPassword(customer.email)
            }
            var registration = Registration(
                email: customer.email, name: customer.name, companyName: customer.company,
                customerType: customer.type ?? .internal, password: password)
            registration.source = "seed"
            registration.seedRun = runId
            _ = try Authenticator(store: store, hasher: hasher).register(registration, actor: actor)
            _ = try Authenticator(store: store, hasher: hasher).setStaff(reference, level: level, actor: actor)
        } else {
            var request = ProvisionRequest(
                email: customer.email, name: customer.name, company: customer.company, source: "seed",
                forges: customer.forges ?? [])
            request.customerType = customer.type ?? .trial
            request.seedRun = runId
            var pricing = Pricing.standard
            pricing.trialCredits = customer.trialCredits ?? pricing.trialCredits
            let result = try Provisioner(store: store, billing: LocalBilling(), pricing: pricing, actor: actor)
                .provision(request)
            if let key = result.apiKey { keys.append((customer.email, "Default", key)) }
            for name in (customer.apiKeys ?? []).dropFirst() {
                let issued = try APIKeys(store: store).create(for: reference, name: name, actor: actor)
                keys.append((customer.email, name, issued.plaintext))
            }
            let ledger = CreditLedger(store: store)
            if customer.paymentMethod == true {
                _ = try ledger.addPaymentMethod(reference, consent: true, actor: actor)
            }
            if customer.plan == .pro { _ = try ledger.subscribePro(reference, actor: actor) }
        }
        if customer.active == false { _ = try CustomerAdmin(store: store).setActive(reference, false, actor: actor) }
    }

    /// Removes exactly the customers seeding created (and what hangs off them). Refused on production.
    public func clean() throws -> Int {
        try store.refuseProduction("remove seeded data")
        return try store.write { tx in
            let removed = try tx.customers.deleteSeeded()
            try tx.seedRuns.deleteRuns()
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "seed.clean", details: [("customers_removed", .int(Int64(removed)))]),
                at: tx.now)
            return removed
        }
    }

    /// Wipes all customer data. Refused on production.
    public func reset() throws -> Int {
        try store.refuseProduction("wipe customer data")
        // Customers and everything that hangs off them, login attempts, provisioning records and seed
        // runs; the audit log keeps its history.
        return try store.write { tx in
            let removed = try tx.customers.deleteAll()
            try tx.logins.deleteEveryAttempt()
            try tx.provisionRequests.deleteAll()
            try tx.seedRuns.deleteRuns()
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "seed.reset", details: [("customers_removed", .int(Int64(removed)))]),
                at: tx.now)
            return removed
        }
    }

    /// A 20-character password from the secure generator that passes the policy.
    public static func generatePassword() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.!@#%+=")
        var generator = SystemRandomNumberGenerator()
        while true {
            let candidate = String(
                (0..<20).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
            if PasswordPolicy().violations(of: candidate).isEmpty { return candidate }
        }
    }
}
