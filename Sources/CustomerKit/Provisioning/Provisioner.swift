import Crypto
import Foundation

/// A provisioning request as a command or a batch record gives it (field names = option names).
public struct ProvisionRequest: Sendable, Equatable {
    public var email: String
    public var name: String
    public var company: String?
    public var source: String?
    /// `TYPE:NAMESPACE` entries.
    public var forges: [String]
    public var idempotencyKey: String?
    /// Customer type (provisioning makes trial customers unless told otherwise).
    public var customerType: CustomerType = .trial
    /// The seed run creating it, if any.
    public var seedRun: String?
    /// A bcrypt hash to store (seeding with passwords); provisioning normally sets none.
    public var passwordHash: String?

    public init(
        email: String, name: String, company: String? = nil, source: String? = nil, forges: [String] = [],
        idempotencyKey: String? = nil
    ) {
        self.email = email
        self.name = name
        self.company = company
        self.source = source
        self.forges = forges
        self.idempotencyKey = idempotencyKey
    }
}

/// What provisioning did for one customer.
public struct ProvisionResult: Sendable, Equatable {
    public let customerId: Int64
    public let email: String
    /// The plaintext API key, shown once: nil when nothing was created or the result is a replay.
    public let apiKey: String?
    /// The key's public prefix (also on replays).
    public let apiKeyPrefix: String?
    public let billingCustomerId: String?
    public let creditBalance: Int64
    /// False for `--if-not-exists` on an existing customer and for replays of such a result.
    public let created: Bool
    /// True when an earlier identical request with the same idempotency key is replayed.
    public let replayed: Bool
}

/// A validated request, ready for the store.
struct PreparedProvision: Sendable {
    let line: Int?
    let new: NewCustomer
    let forges: [ForgeNamespace]
    let idempotencyKey: String?
    let fingerprint: String
    var billingCustomerId = ""
    var apiKey = ""
}

/// Failures of provisioning that are not another area's.
public enum ProvisionError: DomainError, Equatable {
    /// The idempotency key was used for a different request.
    case idempotencyConflict(String)
    /// A batch record failed: its line number and the underlying error.
    case record(line: Int, code: String, kind: FailureKind, message: String)

    public var kind: FailureKind {
        switch self {
        case .idempotencyConflict: return .conflict
        case .record(_, _, let kind, _): return kind
        }
    }

    public var code: String {
        switch self {
        case .idempotencyConflict: return "idempotency_conflict"
        case .record(_, let code, _, _): return code
        }
    }

    public var description: String {
        switch self {
        case .idempotencyConflict(let key):
            return "idempotency key '\(key)' was already used for a different provision request; use a new key"
        case let .record(line, _, _, message):
            return "line \(line): \(message)"
        }
    }

    public var details: [(String, JSONValue)] {
        if case .record(let line, _, _, _) = self { return [("line", .int(Int64(line)))] }
        return []
    }

    /// `error` attributed to batch line `line`.
    static func at(_ line: Int?, _ error: Error) -> Error {
        guard let line, let domain = error as? DomainError else { return error }
        if case .record = domain as? ProvisionError { return error }
        return ProvisionError.record(line: line, code: domain.code, kind: domain.kind, message: domain.description)
    }
}

/// Provisioning: in one transaction the customer, the billing-provider id, one API key, the trial
/// credits, the forge accounts and the onboarding emails.
public struct Provisioner: Sendable {
    let store: Store
    let billing: any BillingProvider
    let pricing: Pricing
    let actor: Actor

    public init(store: Store, billing: any BillingProvider, pricing: Pricing = .standard, actor: Actor) {
        self.store = store
        self.billing = billing
        self.pricing = pricing
        self.actor = actor
    }

    /// Provisions one customer. An existing email is a conflict, or with `ifNotExists` the existing
    /// customer (`created: false`, no new key). The same idempotency key with the same request
    /// replays the first result; with another request it is a conflict.
    public func provision(_ request: ProvisionRequest, ifNotExists: Bool = false) throws -> ProvisionResult {
        try provisionOne(request, line: nil, ifNotExists: ifNotExists)
    }

    private func provisionOne(_ request: ProvisionRequest, line: Int?, ifNotExists: Bool) throws -> ProvisionResult {
        let prepared = try prepare(request, line: line)
        // Read-only first, so a replay or a conflict asks the billing provider nothing; the transaction
        // checks again.
        if let earlier = try store.read({ try Self.earlier(prepared, ifNotExists: ifNotExists, in: $0) }) {
            return earlier
        }
        let ready = try withBillingAndKey(prepared)
        guard let result = try provision([ready], ifNotExists: ifNotExists).first else {
            throw InvariantError("provisioning returned no result")
        }
        return result
    }

    /// Provisions each record in its own transaction and reports each outcome, going on after a
    /// failure (errors carry the record's line).
    public func provisionEach(
        _ records: [(line: Int, request: ProvisionRequest)], ifNotExists: Bool = false,
        report: (Int, Result<ProvisionResult, Error>) -> Void
    ) {
        for (line, request) in records {
            do {
                report(line, .success(try provisionOne(request, line: line, ifNotExists: ifNotExists)))
            } catch {
                report(line, .failure(ProvisionError.at(line, error)))
            }
        }
    }

    /// Validates every record first (a bad line fails the whole batch before anything is written),
    /// then provisions all in ONE transaction: all or nothing.
    public func provisionAtomically(
        _ records: [(line: Int, request: ProvisionRequest)], ifNotExists: Bool = false,
        progress: (Int) -> Void = { _ in }
    ) throws -> [ProvisionResult] {
        var ready: [PreparedProvision] = []
        ready.reserveCapacity(records.count)
        var emails = Set<String>()
        for (line, request) in records {
            var prepared = try prepare(request, line: line)
            if !emails.insert(prepared.new.email.normalized).inserted && !ifNotExists {
                throw ProvisionError.at(line, CustomerError.emailTaken(prepared.new.email.normalized))
            }
            do {
                prepared = try withBillingAndKey(prepared)
            } catch {
                throw ProvisionError.at(line, error)
            }
            ready.append(prepared)
        }
        return try provision(ready, ifNotExists: ifNotExists, progress: progress)
    }

    /// Validates one record and tags its errors with its line.
    func prepare(_ request: ProvisionRequest, line: Int?) throws -> PreparedProvision {
        do {
            let email = try EmailAddress(request.email)
            let new = try NewCustomer(
                email: email, name: request.name, companyName: request.company, customerType: request.customerType,
                passwordHash: request.passwordHash, source: request.source ?? "direct", seedRun: request.seedRun)
            var forges: [ForgeNamespace] = []
            for text in request.forges {
                let forge = try ForgeNamespace(parsing: text)
                if !forges.contains(forge) { forges.append(forge) }
            }
            let key = try request.idempotencyKey.map { try CustomerFields.text($0, field: "idempotency key") }
            // The fingerprint only matters to an idempotency key; without one it is never read.
            let fingerprint =
                key == nil
                ? ""
                : JSONValue.object([
                    ("email", .string(email.normalized)), ("name", .string(new.name)),
                    ("company", .optional(new.companyName)),
                    ("source", .string(new.source)),
                    ("forges", .array(forges.map { .string($0.description.lowercased()) })),
                    ("billing", .string(billing.name)),
                ]).serialized
            return PreparedProvision(
                line: line, new: new, forges: forges, idempotencyKey: key, fingerprint: fingerprint)
        } catch {
            throw ProvisionError.at(line, error)
        }
    }

    /// Asks the billing provider (outside any transaction: no lock is held over the network) and
    /// makes the API key.
    private func withBillingAndKey(_ prepared: PreparedProvision) throws -> PreparedProvision {
        var ready = prepared
        ready.billingCustomerId = try billing.createCustomer(
            BillingCustomerRequest(
                email: prepared.new.email.entered, name: prepared.new.name, source: prepared.new.source,
                idempotencyKey: Self.billingIdempotencyKey(prepared)))
        ready.apiKey = APIKeyFormat.generate()
        return ready
    }

    /// The provider's Idempotency-Key: a digest of the normalised email and the request's own key,
    /// so every retry of one request reaches the same provider customer.
    static func billingIdempotencyKey(_ prepared: PreparedProvision) -> String {
        let seed = "custctl-provision|" + prepared.new.email.normalized + "|" + (prepared.idempotencyKey ?? "")
        return "custctl-" + APIKeyFormat.hash(seed).prefix(40)
    }
}
