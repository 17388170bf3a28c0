/// What kind of failure a domain error is; the executable maps each kind to one exit code.
public enum FailureKind: Sendable, Equatable {
    /// Bad usage that only the core can detect (for example an unknown migration name).
    case usage
    /// Invalid data: password policy, malformed email, bad amount, bad input line.
    case invalidData
    /// An input file is missing or unreadable.
    case inputUnreadable
    /// No such customer, API key or forge account.
    case notFound
    /// Refused by a business rule.
    case refused
    /// A service custctl needs is unavailable (the database server cannot be reached).
    case unavailable
    /// Already exists, taken, or an idempotency key reused for a different request.
    case conflict
    /// The database file cannot be used: not a database, corrupt, I/O error, no permission.
    case databaseUnusable
    /// Try again later: throttled, or the database stayed busy past the timeout.
    case tryLater
    /// Authentication failed.
    case authenticationFailed
    /// Configuration: migrations pending, newer schema, legacy layout, production guard.
    case configuration
    /// Anything else.
    case other
}

/// An error the core raises on purpose: it knows its kind, a stable snake_case code and a message.
public protocol DomainError: Error, CustomStringConvertible, Sendable {
    /// The failure kind, which decides the exit code.
    var kind: FailureKind { get }
    /// A stable snake_case word for scripts (`--json` error objects carry it as `error`).
    var code: String { get }
    /// Extra machine-readable fields for the JSON error object (for example `retry_after`).
    var details: [(String, JSONValue)] { get }
}

extension DomainError {
    /// Most errors carry no extra fields.
    public var details: [(String, JSONValue)] { [] }
}
