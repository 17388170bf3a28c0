/// An internal invariant that did not hold: a defect of custctl or a database changed behind its
/// back, never the user's input. Exit 1 (`internal`).
public struct InvariantError: DomainError, Equatable {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var kind: FailureKind { .other }
    public var code: String { "internal" }
    public var description: String { "internal error: \(message); please report it" }
}
