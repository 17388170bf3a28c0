import Foundation

/// A declarative seed plan (JSON): the customers a development database should have.
public struct SeedPlan: Sendable, Equatable, Codable {
    /// One customer of the plan.
    public struct Customer: Sendable, Equatable, Codable {
        public var email: String
        public var name: String
        public var company: String?
        /// `trial`, `paid`, `enterprise` or `internal`.
        public var type: CustomerType?
        /// Staff level; staff are registered with a password and get no keys or forge accounts.
        public var staff: AdminLevel?
        /// `admin` ($CUSTCTL_ADMIN_PASSWORD, else generated and printed once), `generate` (printed
        /// once) or `none`; staff need one.
        public var password: PasswordSource?
        /// Credits granted at creation (source `trial_signup`); default 5 for non-staff.
        public var trialCredits: Int64?
        /// Records a payment method (with consent) when true.
        public var paymentMethod: Bool?
        /// `pro` subscribes (60 credits for the first period); needs a payment method.
        public var plan: SubscriptionPlan?
        /// Names of API keys: the first comes with provisioning, the rest are created.
        public var apiKeys: [String]?
        /// `TYPE:NAMESPACE` entries.
        public var forges: [String]?
        /// False makes an inactive customer.
        public var active: Bool?

        /// Every field spelled out.
        public init(
            email: String, name: String, company: String? = nil, type: CustomerType? = nil, staff: AdminLevel? = nil,
            password: SeedPlan.PasswordSource? = nil, trialCredits: Int64? = nil, paymentMethod: Bool? = nil,
            plan: SubscriptionPlan? = nil, apiKeys: [String]? = nil, forges: [String]? = nil, active: Bool? = nil
        ) {
            self.email = email
            self.name = name
            self.company = company
            self.type = type
            self.staff = staff
            self.password = password
            self.trialCredits = trialCredits
            self.paymentMethod = paymentMethod
            self.plan = plan
            self.apiKeys = apiKeys
            self.forges = forges
            self.active = active
        }

        enum CodingKeys: String, CodingKey {
            case email, name, company, type, staff, password, plan, forges, active
            case trialCredits = "trial_credits"
            case paymentMethod = "payment_method"
            case apiKeys = "api_keys"
        }
    }

    /// Where a seeded password comes from.
    public enum PasswordSource: String, Sendable, Codable {
        case admin, generate, none
    }

    public var customers: [Customer]

    /// Decodes a plan, with line-free but field-named errors.
    public static func decode(_ data: Data) throws -> SeedPlan {
        do {
            return try JSONDecoder().decode(SeedPlan.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw SeedError.invalidPlan(context.debugDescription)
        } catch let DecodingError.keyNotFound(key, context) {
            throw SeedError.invalidPlan("'\(key.stringValue)' is missing at \(Self.path(context))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw SeedError.invalidPlan("a value at \(Self.path(context)) has the wrong type or is not allowed")
        } catch {
            throw SeedError.invalidPlan("\(error)")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.isEmpty ? "the top" : path
    }

    /// Reads a plan file (66 when missing or unreadable, 65 when not a valid plan).
    public static func load(path: String) throws -> SeedPlan {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BatchError.unreadable(
                path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        return try decode(data)
    }

    /// The default plan (also shipped as fixtures/seed/default.json, which a test keeps equal to this).
    public static let `default` = SeedPlan(customers: [
        Customer(
            email: "admin@example.com", name: "Avery Admin", company: "Example Corp", type: .internal, staff: .full,
            password: .admin),
        Customer(
            email: "reader@example.com", name: "Riley Reader", company: "Example Corp", type: .internal,
            staff: .readOnly, password: .generate),
        Customer(
            email: "trial@example.com", name: "Taylor Trial", company: "Trialworks", type: .trial, trialCredits: 5,
            apiKeys: ["Default"], forges: ["github:trialworks"]),
        Customer(
            email: "payg@example.com", name: "Parker Payg", company: "Meter & Sons", type: .paid, trialCredits: 5,
            paymentMethod: true, apiKeys: ["Default", "ci"], forges: ["github:meter-sons", "gitlab:meter-sons"]),
        Customer(
            email: "pro@example.com", name: "Quinn Pro", company: "Prolific Labs", type: .paid, trialCredits: 0,
            paymentMethod: true, plan: .pro, apiKeys: ["Default"], forges: ["github:prolific-labs"]),
        Customer(
            email: "enterprise@example.com", name: "Emerson Enterprise", company: "Bigco Holdings", type: .enterprise,
            trialCredits: 5, paymentMethod: true, apiKeys: ["Default"], forges: ["github:bigco", "bitbucket:bigco"]),
        Customer(
            email: "inactive@example.com", name: "Indy Inactive", company: "Dormant LLC", type: .trial, trialCredits: 5,
            apiKeys: ["Default"], forges: ["github:dormant-llc"], active: false),
    ])
}

/// Failures of seeding.
public enum SeedError: DomainError, Equatable {
    case invalidPlan(String)
    /// A staff member of the plan has no password source.
    case staffWithoutPassword(String)

    public var kind: FailureKind { .invalidData }
    public var code: String { "invalid_seed_plan" }
    public var description: String {
        switch self {
        case .invalidPlan(let reason): return "invalid seed plan: \(reason)"
        case .staffWithoutPassword(let email):
            return "invalid seed plan: staff member \(email) needs \"password\": \"admin\" or \"generate\""
        }
    }
}
