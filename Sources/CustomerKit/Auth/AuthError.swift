/// Authentication failures. One message for every reason, so the answer reveals nothing.
public enum AuthError: DomainError, Equatable {
    /// Wrong password, unknown email, inactive customer or no password: indistinguishable.
    case authenticationFailed

    public var kind: FailureKind { .authenticationFailed }
    public var code: String { "authentication_failed" }
    public var description: String { "invalid email or password" }
}
