/// Who performs a change, for the audit log: the operating-system user, and a label for it.
public struct Actor: Sendable, Equatable {
    /// The label written to the audit log's `actor` (`--actor NAME`, else the OS user).
    public let name: String
    /// The operating-system user running custctl (from the effective uid), never chosen by the caller.
    public let osUser: String

    /// The longest label `--actor` accepts, in characters.
    public static let maximumLabelLength = 64

    /// An actor labelled `name`, run by `osUser` (by default the same name: tests and internal callers).
    public init(_ name: String, osUser: String? = nil) {
        self.name = name
        self.osUser = osUser ?? name
    }

    /// The OS user `osUser` acting under the label `label`, which must be 1 to 64 printable characters
    /// (SPEC 5.9): a newline or an escape sequence could forge or hide a row in `audit list`.
    public static func labelled(_ label: String, osUser: String) throws -> Actor {
        guard !label.isEmpty, label.contains(where: { !$0.isWhitespace }) else { throw ActorError.empty }
        guard label.count <= maximumLabelLength else { throw ActorError.tooLong(label.count) }
        if let scalar = label.unicodeScalars.first(where: { !isPrintable($0) }) {
            throw ActorError.unprintable(scalar.value)
        }
        return Actor(label, osUser: osUser)
    }

    /// False for control, format (bidirectional overrides), separator-line, private-use and unassigned
    /// scalars.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
            return false
        default:
            return true
        }
    }
}

/// A `--actor` label the audit log cannot hold.
public enum ActorError: DomainError, Equatable {
    /// Empty or only white space.
    case empty
    /// Longer than `Actor.maximumLabelLength` characters.
    case tooLong(Int)
    /// Holds a control or other unprintable character (its code point).
    case unprintable(UInt32)

    public var kind: FailureKind { .invalidData }
    public var code: String { "invalid_actor" }
    public var description: String {
        switch self {
        case .empty:
            return "--actor is empty; give a name, or leave it out to record the OS user"
        case .tooLong(let count):
            return "--actor is \(count) characters long; use at most \(Actor.maximumLabelLength)"
        case .unprintable(let value):
            return "--actor contains the unprintable character U+\(String(value, radix: 16, uppercase: true)); "
                + "use printable characters only"
        }
    }
}
