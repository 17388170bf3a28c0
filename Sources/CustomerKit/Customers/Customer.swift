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
public struct Customer: Sendable, Equatable, Codable {
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
    public var metadata: String
    public var monthlyLimit: Int64
    public var currentUsage: Int64
    public var trialFixesUsed: Int64
    public var trialFixesLimit: Int64
    public var trialExpiredAt: String?
    public var paymentMethodAddedAt: String?
    public var stripeCustomerId: String?
    public var subscriptionPlan: String
    public var subscriptionStatus: String
    public var subscriptionPeriodEnd: String?
    public var rolloverFixes: Int64
    public var confirmedAt: String?
    public var lastLoginAt: String?
    public var createdAt: String
    public var updatedAt: String

    /// True when the customer can log in with a password at all.
    public var hasPassword: Bool { passwordHash != nil }
}

/// Which customers `customer list` returns, in id order.
public struct CustomerQuery: Sendable, Equatable {
    /// Only staff (true), only non-staff (false), or all (nil).
    public var staff: Bool?
    /// Only active (true), only inactive (false), or all (nil).
    public var active: Bool?
    /// Start after this id (keyset paging).
    public var afterId: Int64?
    /// At most this many; nil for all.
    public var limit: Int?

    /// A query with no filter.
    public init(staff: Bool? = nil, active: Bool? = nil, afterId: Int64? = nil, limit: Int? = nil) {
        self.staff = staff
        self.active = active
        self.afterId = afterId
        self.limit = limit
    }
}

/// How a command names a customer: by email or by numeric id.
public enum CustomerReference: Sendable, Equatable {
    case id(Int64)
    case email(EmailAddress)

    /// A number is an id; anything else must be a valid email.
    public init(parsing text: String) throws {
        if let id = Int64(text.trimmingCharacters(in: .whitespaces)), id > 0 {
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

    public var kind: FailureKind { .notFound }
    public var code: String { "customer_not_found" }
    public var description: String {
        switch self {
        case .notFound(let reference):
            return "no customer \(reference); see 'custctl customer list'"
        }
    }
}

extension CustomerReference: CustomStringConvertible {
    public var description: String {
        switch self {
        case .id(let id): return "with id \(id)"
        case .email(let email): return "with email \(email.normalized)"
        }
    }
}
