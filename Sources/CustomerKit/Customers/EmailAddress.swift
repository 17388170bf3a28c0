import Foundation

/// An email address as entered plus its normalised form, the customer's identity (SPEC 5.4).
public struct EmailAddress: Sendable, Equatable, Hashable {
    /// What the person typed, trimmed.
    public let entered: String
    /// Trimmed, NFC, lower-cased with Unicode rules: `ÄLICE@x.io` and `älice@x.io` are one.
    public let normalized: String

    /// The longest address accepted, in characters.
    public static let maximumLength = 254

    /// Validates and normalises `text`; nothing beyond SPEC 5.4's rules is guessed.
    public init(_ text: String) throws {
        let composed = Text.composed(text)
        guard !composed.isEmpty else { throw EmailError.invalid(text, reason: "it is empty") }
        guard composed.count <= Self.maximumLength else {
            throw EmailError.invalid(text, reason: "it is longer than \(Self.maximumLength) characters")
        }
        let ascii = Text.isASCII(composed)
        if ascii
            ? composed.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F })
            : composed.unicodeScalars.contains(where: {
                $0.properties.generalCategory == .control || $0.properties.isWhitespace
            })
        {
            throw EmailError.invalid(text, reason: "it contains spaces or control characters")
        }
        let parts = composed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw EmailError.invalid(text, reason: "it must contain exactly one '@'") }
        guard !parts[0].isEmpty else { throw EmailError.invalid(text, reason: "the part before '@' is empty") }
        let domain = parts[1]
        guard let dot = domain.firstIndex(of: "."), dot != domain.startIndex, domain.last != "." else {
            throw EmailError.invalid(text, reason: "the domain after '@' needs a dot, like example.com")
        }
        self.entered = composed
        self.normalized = composed.lowercased()
    }

    /// The identity form (SPEC 5.4) of any text, valid address or not: consolidation applies it to
    /// legacy rows as they are.
    static func normalize(_ text: String) -> String {
        Text.composed(text).lowercased()
    }

    /// Two addresses are the same customer when their normalised forms are equal.
    public static func == (lhs: EmailAddress, rhs: EmailAddress) -> Bool {
        lhs.normalized == rhs.normalized
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(normalized)
    }

    /// The part before the `@`, normalised (the password policy keeps it out of passwords).
    public var localPart: String {
        String(normalized[..<(normalized.firstIndex(of: "@") ?? normalized.endIndex)])
    }
}

/// A malformed email address.
public enum EmailError: DomainError, Equatable {
    /// The text is not an acceptable address.
    case invalid(String, reason: String)

    public var kind: FailureKind { .invalidData }
    public var code: String { "invalid_email" }
    public var description: String {
        switch self {
        case let .invalid(text, reason):
            let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
            let printable = shown.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : String($0) }
                .joined()
            return "invalid email '\(printable)': \(reason)"
        }
    }
}
