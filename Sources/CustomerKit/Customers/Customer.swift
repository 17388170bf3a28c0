import Foundation

/// Staff access levels.
public enum AdminLevel: String, CaseIterable, Sendable, Codable {
    case readOnly = "read_only"
    case limited
    case full
}

/// Customer types.
public enum CustomerType: String, CaseIterable, Sendable, Codable {
    case trial, paid, enterprise, `internal`
}

/// The one consolidated customer record (SPEC section 1), as read from the store.
public struct Customer: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var email: String
    public var emailNormalized: String
    public var passwordHash: String?
    public var isStaff: Bool
    public var adminLevel: AdminLevel?
    public var customerType: CustomerType
    public var companyName: String?
    public var active: Bool
    /// A JSON object; `source` says where the customer came from.
    public var metadata: JSONValue
    public var monthlyLimit: Int64
    public var currentUsage: Int64
    public var trialFixesUsed: Int64
    public var trialFixesLimit: Int64
    public var trialExpiredAt: Date?
    public var paymentMethodAddedAt: Date?
    public var stripeCustomerId: String?
    public var subscriptionPlan: SubscriptionPlan
    public var subscriptionStatus: SubscriptionStatus
    public var subscriptionPeriodEnd: Date?
    public var rolloverFixes: Int64
    public var confirmedAt: Date?
    public var lastLoginAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    /// When the customer's personal data was erased (SPEC 9); nil for a customer never erased.
    public var erasedAt: Date? = nil

    /// True when the customer can log in with a password at all.
    public var hasPassword: Bool { passwordHash != nil }
}

/// Which customers `customer list` returns, in id order.
public struct CustomerQuery: Sendable, Equatable {
    /// Only staff (true), only non-staff (false), or all (nil).
    public var staff: Bool?
    /// Only active (true), only inactive (false), or all (nil).
    public var active: Bool?
    /// Which page of them.
    public var page: Page

    /// A query with no filter.
    public init(staff: Bool? = nil, active: Bool? = nil, page: Page = .all) {
        self.staff = staff
        self.active = active
        self.page = page
    }
}

/// How a command names a customer: by email or by numeric id.
public enum CustomerReference: Sendable, Equatable {
    case id(Int64)
    case email(EmailAddress)

    /// A number is an id; anything else must be a valid email. (Trimmed as an email is, without
    /// Foundation for ASCII: its character sets cost a read command 8% of its instructions.)
    public init(parsing text: String) throws {
        if let id = Int64(Text.composed(text)), id > 0 {
            self = .id(id)
        } else {
            self = .email(try EmailAddress(text))
        }
    }
}

/// Failures about customers.
public enum CustomerError: DomainError, Equatable {
    /// No customer matches.
    case notFound(String)
    /// Another customer already has this normalised email.
    case emailTaken(String)
    /// A text field is empty, too long or has control characters.
    case invalidField(field: String, reason: String)

    public var kind: FailureKind {
        switch self {
        case .notFound: return .notFound
        case .emailTaken: return .conflict
        case .invalidField: return .invalidData
        }
    }

    public var code: String {
        switch self {
        case .notFound: return "customer_not_found"
        case .emailTaken: return "email_taken"
        case .invalidField: return "invalid_field"
        }
    }

    public var description: String {
        switch self {
        case .notFound(let reference):
            return "no customer \(reference); see 'custctl customer list'"
        case .emailTaken(let email):
            return "a customer with email \(email) already exists; see 'custctl customer show \(email)'"
        case let .invalidField(field, reason):
            return "invalid \(field): \(reason)"
        }
    }
}

/// Checks the free-text fields of a customer.
public enum CustomerFields {
    /// Names and company names longer than this are refused.
    public static let maximumLength = 200

    /// A trimmed, NFC, non-empty, single-line text of at most `maximumLength` characters.
    public static func text(_ value: String, field: String) throws -> String {
        let cleaned = Text.composed(value)
        let ascii = Text.isASCII(cleaned)
        guard !cleaned.isEmpty else { throw CustomerError.invalidField(field: field, reason: "it is empty") }
        guard (ascii ? cleaned.utf8.count : cleaned.count) <= maximumLength else {
            throw CustomerError.invalidField(field: field, reason: "it is longer than \(maximumLength) characters")
        }
        if ascii
            ? cleaned.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F })
            : cleaned.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            throw CustomerError.invalidField(field: field, reason: "it contains control characters")
        }
        return cleaned
    }
}

/// A customer about to be created.
public struct NewCustomer: Sendable, Equatable {
    public var email: EmailAddress
    public var name: String
    public var companyName: String?
    public var customerType: CustomerType
    public var passwordHash: String?
    /// Where the customer came from (`metadata.source`).
    public var source: String
    /// The seed run that created it (`metadata.seed_run`), for `seed --clean`.
    public var seedRun: String?

    /// Validates the free-text fields.
    public init(
        email: EmailAddress, name: String, companyName: String? = nil, customerType: CustomerType = .trial,
        passwordHash: String? = nil, source: String = "direct", seedRun: String? = nil
    ) throws {
        self.seedRun = seedRun
        self.email = email
        self.name = try CustomerFields.text(name, field: "name")
        self.companyName = try companyName.map { try CustomerFields.text($0, field: "company") }
        self.customerType = customerType
        self.passwordHash = passwordHash
        self.source = try CustomerFields.text(source, field: "source")
    }
}

extension NewCustomer {
    /// The `metadata` JSON object.
    var metadata: JSONValue {
        .object([("source", .string(source))] + (seedRun.map { [("seed_run", .string($0))] } ?? []))
    }
}

/// The result of a staff change: the customer after it, and whether anything changed.
public struct StaffChange: Sendable, Equatable {
    public let customer: Customer
    public let changed: Bool
}

extension CustomerReference: CustomStringConvertible {
    public var description: String {
        switch self {
        case .id(let id): return "with id \(id)"
        case .email(let email): return "with email \(email.normalized)"
        }
    }
}
