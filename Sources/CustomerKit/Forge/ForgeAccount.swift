import Foundation

/// Code forges a customer's accounts live on.
public enum ForgeType: String, Sendable, Codable, CaseIterable {
    case github, gitlab, bitbucket
}

/// A `TYPE:NAMESPACE` pair such as `github:acme`.
public struct ForgeNamespace: Sendable, Equatable, Hashable {
    public let type: ForgeType
    public let namespace: String

    /// Longest namespace accepted.
    public static let maximumLength = 100
    /// ASCII letters, digits, '.', '_', '-' and '/' (so a namespace's characters are its bytes).
    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"),
            UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }

    /// Parses `github:acme` (type case-insensitive; namespace of letters, digits, `.`, `_`, `-`, and `/`
    /// between parts for nested groups).
    public init(parsing text: String) throws {
        let trimmed = Text.trimmingSpaces(text)
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let type = ForgeType(rawValue: parts[0].lowercased()) else {
            throw ForgeError.invalid(text, reason: "use TYPE:NAMESPACE with TYPE github, gitlab or bitbucket")
        }
        try self.init(type: type, namespace: String(parts[1]))
    }

    /// Validates `namespace` for `type`.
    public init(type: ForgeType, namespace: String) throws {
        let name = Text.trimmingSpaces(namespace)
        guard !name.isEmpty, name.utf8.count <= Self.maximumLength, name.utf8.allSatisfy(Self.isAllowed),
            !name.hasPrefix("/"), !name.hasSuffix("/"), !name.contains("//")
        else {
            throw ForgeError.invalid(
                "\(type.rawValue):\(namespace)",
                reason:
                    "a namespace is 1 to \(Self.maximumLength) letters, digits, '.', '_', '-' (and '/' between group parts)"
            )
        }
        self.type = type
        self.namespace = name
    }

    public var description: String { "\(type.rawValue):\(namespace)" }

    /// The namespace as uniqueness sees it: one owner per type and namespace, whatever the case.
    var key: String { "\(type.rawValue):\(namespace.lowercased())" }
}

/// One linked forge account.
public struct ForgeAccount: Sendable, Equatable {
    public var id: Int64
    public var customerId: Int64
    public var forgeType: ForgeType
    public var namespace: String
    public var verifiedAt: Date?
    public var createdAt: Date
}

/// A forge account with its owner's email, for listings.
public struct LinkedForgeAccount: Sendable, Equatable {
    public let account: ForgeAccount
    public let email: String
}

/// Failures about forge accounts.
public enum ForgeError: DomainError, Equatable {
    case invalid(String, reason: String)
    /// The namespace already belongs to a customer (case-insensitively).
    case namespaceTaken(String)
    /// The customer has no such forge account.
    case notFound(String)

    public var kind: FailureKind {
        switch self {
        case .invalid: return .invalidData
        case .namespaceTaken: return .conflict
        case .notFound: return .notFound
        }
    }

    public var code: String {
        switch self {
        case .invalid: return "invalid_forge_account"
        case .namespaceTaken: return "namespace_taken"
        case .notFound: return "forge_account_not_found"
        }
    }

    public var description: String {
        switch self {
        case let .invalid(text, reason): return "invalid forge account '\(text)': \(reason)"
        case .namespaceTaken(let text): return "\(text) already belongs to a customer; see 'custctl forge list'"
        case .notFound(let text): return "no forge account \(text) for that customer; see 'custctl forge list EMAIL'"
        }
    }
}
