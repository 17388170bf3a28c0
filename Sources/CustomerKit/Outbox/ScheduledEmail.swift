import Foundation

/// The onboarding email sequence written to the outbox at provisioning. custctl sends no mail: a
/// mailer reads `custctl emails due` and marks each one sent.
public enum OnboardingSequence {
    /// Template name and delay after provisioning.
    public static let emails: [(template: String, delay: TimeInterval)] = [
        ("welcome", 0),
        ("getting_started", 1 * 86400),
        ("first_fix_tips", 3 * 86400),
        ("trial_checkin", 7 * 86400),
    ]
}

/// One outbox row.
public struct ScheduledEmail: Sendable, Equatable {
    public var id: Int64
    public var customerId: Int64
    public var template: String
    public var dueAt: Date
    public var sentAt: Date?
    public var createdAt: Date
}

/// A due email with its recipient.
public struct DueEmail: Sendable, Equatable {
    public let email: ScheduledEmail
    public let recipient: String
    public let name: String
}

/// Failures about the outbox.
public enum OutboxError: DomainError, Equatable {
    case notFound(Int64)

    public var kind: FailureKind { .notFound }
    public var code: String { "email_not_found" }
    public var description: String {
        switch self {
        case .notFound(let id): return "no scheduled email with id \(id); see 'custctl emails due'"
        }
    }
}
