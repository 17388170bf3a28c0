import Foundation

/// One rule of the password policy (SPEC 5.1), with a stable code for `--json`.
public enum PasswordRule: String, CaseIterable, Sendable, Equatable {
    case tooShort = "too_short"
    case noUppercase = "no_uppercase"
    case noLowercase = "no_lowercase"
    case noDigit = "no_digit"
    case noSymbol = "no_symbol"
    case tooLong = "too_long"
    case controlCharacter = "control_character"
    case common = "common_password"
    case containsEmail = "contains_email"
    case containsName = "contains_name"

    /// What the person should change, in a few words.
    public var advice: String {
        switch self {
        case .tooShort: return "use at least \(PasswordPolicy.minimumLength) characters"
        case .noUppercase: return "add an upper-case letter"
        case .noLowercase: return "add a lower-case letter"
        case .noDigit: return "add a digit"
        case .noSymbol: return "add a character that is not a letter or digit"
        case .tooLong: return "use at most \(PasswordPolicy.maximumBytes) bytes of UTF-8 (bcrypt ignores the rest)"
        case .controlCharacter: return "remove control characters"
        case .common: return "choose a password that is not a common one (with digits or symbols added)"
        case .containsEmail: return "do not include your email address's name"
        case .containsName: return "do not include your name"
        }
    }
}

/// The password was refused; every failing rule is listed at once.
public struct PasswordPolicyError: DomainError, Equatable {
    /// The failing rules, in policy order.
    public let violations: [PasswordRule]

    public var kind: FailureKind { .invalidData }
    public var code: String { "password_policy" }
    public var description: String {
        "password refused: " + violations.map(\.advice).joined(separator: "; ")
    }
    public var details: [(String, JSONValue)] {
        [("violations", .array(violations.map { .string($0.rawValue) }))]
    }
}

/// The password policy: the design's composition rule plus length in bytes, control characters,
/// common passwords and personal data. Passwords are NFC-normalised first.
public struct PasswordPolicy: Sendable {
    /// At least this many characters.
    public static let minimumLength = 12
    /// At most this many bytes of UTF-8 after normalisation: bcrypt ignores the rest.
    public static let maximumBytes = 72

    /// The policy as the design asks.
    public init() {}

    /// The NFC form that is hashed and checked, so one password typed on two systems matches.
    public static func normalize(_ password: String) -> String {
        password.precomposedStringWithCanonicalMapping
    }

    /// Every rule `password` breaks, given the account's email and name (empty when it passes).
    public func violations(of password: String, email: EmailAddress? = nil, name: String? = nil) -> [PasswordRule] {
        let normalized = Self.normalize(password)
        let scalars = normalized.unicodeScalars
        var failed: [PasswordRule] = []
        if normalized.count < Self.minimumLength { failed.append(.tooShort) }
        if !scalars.contains(where: { $0.properties.isUppercase }) { failed.append(.noUppercase) }
        if !scalars.contains(where: { $0.properties.isLowercase }) { failed.append(.noLowercase) }
        if !scalars.contains(where: { $0.properties.numericType == .decimal }) { failed.append(.noDigit) }
        if !scalars.contains(where: { !$0.properties.isAlphabetic && $0.properties.numericType != .decimal }) {
            failed.append(.noSymbol)
        }
        if normalized.utf8.count > Self.maximumBytes { failed.append(.tooLong) }
        if scalars.contains(where: { $0.properties.generalCategory == .control }) { failed.append(.controlCharacter) }
        let lowered = normalized.lowercased()
        if CommonPasswords.contains(lowered) { failed.append(.common) }
        if let local = email?.localPart, local.count >= 3, lowered.contains(local) { failed.append(.containsEmail) }
        if let name, Self.nameParts(name).contains(where: { lowered.contains($0) }) { failed.append(.containsName) }
        return failed
    }

    /// Throws `PasswordPolicyError` listing every failing rule.
    public func check(_ password: String, email: EmailAddress? = nil, name: String? = nil) throws {
        let failed = violations(of: password, email: email, name: name)
        if !failed.isEmpty { throw PasswordPolicyError(violations: failed) }
    }

    /// The whole name and each word of it with 3 or more characters, lower-cased.
    static func nameParts(_ name: String) -> [String] {
        let lowered = name.precomposedStringWithCanonicalMapping.lowercased().trimmingCharacters(in: .whitespaces)
        let words = lowered.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        return ([lowered] + words).filter { $0.count >= 3 }
    }
}

/// The bundled list of common passwords (from Django's list; see CommonPasswords.swift).
enum CommonPasswords {
    static let set: Set<Substring> = Set(commonPasswordList.split(separator: "\n"))

    /// True when the lower-cased password, or it without appended symbols, or without appended
    /// digits and symbols, is on the list: `Password123!` is `password123` plus `!`.
    static func contains(_ lowered: String) -> Bool {
        var candidates = [Substring(lowered)]
        let withoutSymbols = lowered.reversed().drop(while: { !$0.isLetter && !$0.isNumber })
        candidates.append(Substring(String(withoutSymbols.reversed())))
        let withoutDigitsOrSymbols = lowered.reversed().drop(while: { !$0.isLetter })
        candidates.append(Substring(String(withoutDigitsOrSymbols.reversed())))
        return candidates.contains { $0.count >= 4 && set.contains($0) }
    }
}
