import Crypto
import Foundation

/// The API key format (SPEC 5.5): `cck_` + 32 base62 characters from the system's secure generator
/// (about 190 bits) + 6 base62 characters of CRC-32 over what precedes them, so a mistyped key is
/// rejected before any lookup. Only the SHA-256 of the whole key is stored.
public enum APIKeyFormat {
    /// Says what the string is: a custctl key.
    public static let marker = "cck_"
    /// Random characters.
    static let randomLength = 32
    /// Checksum characters.
    static let checksumLength = 6
    /// Characters of the public prefix shown in listings (`cck_` and 6 random characters): a quarter
    /// of the key's 42 characters at most (SPEC 5.5).
    public static let prefixLength = 10
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new key from `generator` (the system's secure generator unless a test injects one).
    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> String {
        var bytes = Array(marker.utf8)
        for _ in 0..<randomLength {
            bytes.append(alphabet[Int(generator.next(upperBound: UInt8(alphabet.count)))])
        }
        bytes += base62(crc32(bytes), width: checksumLength)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A new key from the system's secure generator.
    public static func generate() -> String {
        shared.lock.withLock { generate(using: &shared.generator) }
    }

    /// `count` base62 characters from the system's secure generator.
    static func randomBase62(_ count: Int) -> String {
        shared.lock.withLock {
            String(
                decoding: (0..<count).map { _ in
                    alphabet[Int(shared.generator.next(upperBound: UInt8(alphabet.count)))]
                },
                as: UTF8.self)
        }
    }

    /// One buffered generator for the process: a key costs part of one 256-byte read of the system's
    /// generator, not a read of its own.
    private final class SharedGenerator: @unchecked Sendable {
        let lock = NSLock()
        var generator = SecureRandomBytes()
    }

    private static let shared = SharedGenerator()

    /// True when `key` has the custctl shape; such keys must also pass `checksumIsValid`.
    public static func looksLikeCustctlKey(_ key: String) -> Bool {
        key.hasPrefix(marker)
    }

    /// True when `key` is a well-formed custctl key whose checksum matches.
    public static func checksumIsValid(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count == marker.utf8.count + randomLength + checksumLength, key.hasPrefix(marker) else {
            return false
        }
        let body = Array(bytes.dropLast(checksumLength))
        guard body.dropFirst(marker.utf8.count).allSatisfy(alphabet.contains) else { return false }
        return Array(bytes.suffix(checksumLength)) == base62(crc32(body), width: checksumLength)
    }

    /// The public part shown in listings.
    public static func prefix(of key: String) -> String {
        String(key.prefix(min(prefixLength, safePrefixLength(ofKeyLength: key.count))))
    }

    /// Lower-case hex SHA-256 of the whole key: what the database stores.
    public static func hash(_ key: String) -> String {
        let digest = SHA256.hash(data: Array(key.utf8))
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        let digits = Array("0123456789abcdef".utf8)
        for byte in digest {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    static func base62(_ value: UInt32, width: Int) -> [UInt8] {
        var remaining = UInt64(value)
        var out = [UInt8](repeating: alphabet[0], count: width)
        for index in stride(from: width - 1, through: 0, by: -1) {
            out[index] = alphabet[Int(remaining % 62)]
            remaining /= 62
        }
        return out
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { index -> UInt32 in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }
}

/// One API key as listed (never with its secret).
public struct APIKey: Sendable, Equatable {
    public var id: Int64
    public var customerId: Int64
    public var name: String
    public var prefix: String
    public var active: Bool
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// A JSON object (`rotated_from`, a legacy key's `legacy_api_key_id`).
    public var metadata: JSONValue
    public var createdAt: Date

    /// Whether the key can be used at `now`: `revoked` (also a legacy key imported inactive),
    /// `expired` (its instant has passed) or `active`.
    public func status(at now: Date) -> APIKeyStatus {
        if revokedAt != nil || !active { return .revoked }
        if let expiresAt, expiresAt <= now { return .expired }
        return .active
    }
}

/// What `apikey list` says of a key.
public enum APIKeyStatus: String, Sendable, Equatable {
    case active, expired, revoked
}

/// A key as `apikey list` shows it: with its owner's email and its status.
public struct ListedAPIKey: Sendable, Equatable {
    public let key: APIKey
    public let customerEmail: String
    public let status: APIKeyStatus
}

/// A key just created: its record and the plaintext, shown once.
public struct IssuedAPIKey: Sendable, Equatable {
    public let key: APIKey
    public let plaintext: String
}

/// The owner of a key that verified.
public struct VerifiedAPIKey: Sendable, Equatable {
    public let key: APIKey
    public let customerEmail: String
}

/// Failures about API keys.
public enum APIKeyError: DomainError, Equatable {
    /// No key with that id or prefix.
    case notFound(String)
    /// The key did not verify (malformed, wrong checksum, unknown, revoked, expired, inactive).
    case invalidKey
    /// A duration that cannot be read.
    case invalidDuration(String)
    /// An expiry that is not in the future.
    case invalidExpiry(String)
    /// A reference that matches more than one key: nothing is picked.
    case ambiguous(String, candidates: [APIKeyCandidate])
    /// Expired or revoked keys cannot be rotated.
    case notRotatable(id: Int64, status: APIKeyStatus)
    /// `apikey verify` got no key at all.
    case missingKey

    public var kind: FailureKind {
        switch self {
        case .notFound: return .notFound
        case .invalidKey, .missingKey: return .authenticationFailed
        case .invalidDuration, .invalidExpiry, .ambiguous: return .invalidData
        case .notRotatable: return .refused
        }
    }

    public var code: String {
        switch self {
        case .notFound: return "api_key_not_found"
        case .invalidKey, .missingKey: return "invalid_api_key"
        case .invalidDuration: return "invalid_duration"
        case .invalidExpiry: return "invalid_time"
        case .ambiguous: return "ambiguous_key"
        case .notRotatable: return "key_not_rotatable"
        }
    }

    public var description: String {
        switch self {
        case .notFound(let reference): return "no API key \(reference); see 'custctl apikey list'"
        case .invalidKey: return "the API key is not valid"
        case .invalidDuration(let text):
            return "invalid duration '\(text)': use seconds or a number with s, m, h or d (like 24h)"
        case .invalidExpiry(let text):
            return "invalid expiry '\(text)': it is not in the future"
        case let .ambiguous(text, candidates):
            let shown = candidates.map { "\($0.id) (\($0.prefix), \($0.customerEmail))" }.joined(separator: ", ")
            return "'\(text)' matches \(candidates.count) keys: \(shown); name one by its id"
        case let .notRotatable(id, status):
            return
                "key \(id) is \(status.rawValue) and cannot be rotated; create a new key with 'custctl apikey create'"
        case .missingKey:
            return "no key on standard input; write the key as its first line"
        }
    }

    public var details: [(String, JSONValue)] {
        guard case let .ambiguous(_, candidates) = self else { return [] }
        return [
            (
                "candidates",
                .array(
                    candidates.map {
                        .object([
                            ("id", .int($0.id)), ("prefix", .string($0.prefix)),
                            ("customer_email", .string($0.customerEmail)),
                        ])
                    })
            )
        ]
    }
}

/// Durations as operators write them: `90`, `90s`, `30m`, `24h`, `7d`.
public enum TimeSpan {
    /// Seconds in `text`.
    public static func seconds(_ text: String) throws -> TimeInterval {
        let trimmed = Text.trimmingSpaces(text).lowercased()
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var number = Substring(trimmed)
        var unit = 1.0
        if let last = trimmed.last, let factor = units[last] {
            number = trimmed.dropLast()
            unit = factor
        }
        guard let value = Int(number), value >= 0, value <= 3650 * 86400 / Int(unit) else {
            throw APIKeyError.invalidDuration(text)
        }
        return Double(value) * unit
    }
}

/// The system's secure generator (getrandom), read 256 bytes at a time: the same source as
/// `SystemRandomNumberGenerator`, without a system call for every eight bytes.
struct SecureRandomBytes: RandomNumberGenerator {
    private var buffer = [UInt8](repeating: 0, count: 256)
    private var used = 256

    mutating func next() -> UInt64 {
        if used + 8 > buffer.count { refill() }
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(buffer[used + index]) }
        used += 8
        return value
    }

    private mutating func refill() {
        // The kernel's generator in one read per 256 bytes (SystemRandomNumberGenerator makes a
        // getrandom call per 8 bytes, which made key generation a system call per character).
        var filled = 0
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            while filled < buffer.count {
                let got = buffer.withUnsafeMutableBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return -1 }
                    return read(fd, base + filled, raw.count - filled)
                }
                if got > 0 { filled += got } else if got < 0 && errno == EINTR { continue } else { break }
            }
            close(fd)
        }
        var system = SystemRandomNumberGenerator()
        while filled < buffer.count {  // no /dev/urandom: the same source, eight bytes at a time
            buffer[filled] = UInt8(truncatingIfNeeded: system.next())
            filled += 1
        }
        used = 0
    }
}

/// One key a reference could mean, as an ambiguity error lists it.
public struct APIKeyCandidate: Sendable, Equatable {
    public let id: Int64
    public let prefix: String
    public let customerEmail: String
}

extension APIKeyFormat {
    /// The most characters a stored prefix may show of a key of `length` characters: a quarter
    /// (SPEC 5.5; a 10-character legacy key keeps 2).
    public static func safePrefixLength(ofKeyLength length: Int) -> Int { length / 4 }
}

/// How commands name an API key: by its id, or by what an operator typed (an id, the listed prefix,
/// part of it, or the key itself), which `APIKeys` resolves and refuses when it is ambiguous.
public enum APIKeyReference: Sendable, Equatable, CustomStringConvertible {
    case id(Int64)
    case text(String)

    public init(parsing text: String) {
        self = .text(text)
    }

    public var description: String {
        switch self {
        case .id(let id): return "with id \(id)"
        case .text(let text): return "matching '\(text)'"
        }
    }
}
