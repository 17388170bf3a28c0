/// Who performs a change, for the audit log: the OS user or `--actor NAME`.
public struct Actor: Sendable, Equatable {
    /// The name written to the audit log.
    public let name: String

    /// An actor with this name.
    public init(_ name: String) {
        self.name = name
    }
}
