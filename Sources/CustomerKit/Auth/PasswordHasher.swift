import CCrypt
import Foundation

/// Hashing and verification failures.
public enum PasswordHashError: DomainError, Equatable {
    /// The configured cost is outside bcrypt's range.
    case invalidCost(Int)
    /// A production database refuses a cost below `PasswordHasher.minimumProductionCost`.
    case costTooLowForProduction(Int)
    /// libxcrypt could not make a salt or a hash.
    case hashingFailed

    public var kind: FailureKind {
        switch self {
        case .invalidCost, .costTooLowForProduction: return .configuration
        case .hashingFailed: return .other
        }
    }

    public var code: String {
        switch self {
        case .invalidCost: return "invalid_bcrypt_cost"
        case .costTooLowForProduction: return "bcrypt_cost_too_low"
        case .hashingFailed: return "hashing_failed"
        }
    }

    public var description: String {
        switch self {
        case .invalidCost(let cost):
            return "bcrypt cost \(cost) is out of range; set CUSTCTL_BCRYPT_COST to 4 to 31"
        case .costTooLowForProduction(let cost):
            return "bcrypt cost \(cost) is too low for a production database; "
                + "set CUSTCTL_BCRYPT_COST to \(PasswordHasher.minimumProductionCost) or more"
        case .hashingFailed:
            return "the system's crypt library could not hash the password"
        }
    }
}

/// bcrypt (`$2b$`) through the system's libxcrypt: `crypt_gensalt_rn` and `crypt_rn`, with the cost
/// always explicit (a cost of 0 would silently mean 5).
public struct PasswordHasher: Sendable {
    /// The cost used for new hashes.
    public let cost: Int

    /// The design's default work factor.
    public static let defaultCost = 12
    /// bcrypt's range.
    public static let costRange = 4...31
    /// A database marked production refuses anything below this.
    public static let minimumProductionCost = 10

    /// A hasher for `cost` (4 to 31).
    public init(cost: Int = PasswordHasher.defaultCost) throws {
        guard Self.costRange.contains(cost) else { throw PasswordHashError.invalidCost(cost) }
        self.cost = cost
    }

    /// Throws when this cost is too low for a database in `environment`.
    public func check(for environment: DatabaseEnvironment) throws {
        if environment == .production, cost < Self.minimumProductionCost {
            throw PasswordHashError.costTooLowForProduction(cost)
        }
    }

    /// A new `$2b$` hash of the NFC form of `password` with a fresh random salt.
    public func hash(_ password: String) throws -> String {
        let setting = try Self.makeSetting(cost: cost)
        guard let hashed = Self.crypt(PasswordPolicy.normalize(password), setting: setting), hashed.hasPrefix("$2b$")
        else {
            throw PasswordHashError.hashingFailed
        }
        return hashed
    }

    /// True when `password` matches `storedHash` (`$2a$`, `$2b$` or `$2y$`, any cost). Re-hashes with the
    /// stored setting and compares in constant time; failure tokens and other schemes never verify.
    public func verify(_ password: String, against storedHash: String) -> Bool {
        guard Self.isBcrypt(storedHash) else { return false }
        guard let computed = Self.crypt(PasswordPolicy.normalize(password), setting: storedHash) else { return false }
        return Self.constantTimeEqual(computed, storedHash)
    }

    /// Verifies `password` against `storedHash` (nil when there is no account or no password) with the
    /// work of exactly one bcrypt at this hasher's cost, whatever the reason it fails (SPEC 5.6): a
    /// missing or non-bcrypt hash is checked against a dummy at this cost, and a hash of a lower cost c
    /// is padded with dummies at costs c, c+1, ..., cost-1, which add up to 2^cost - 2^c rounds.
    public func verifyWithEqualWork(_ password: String, against storedHash: String?) throws -> Bool {
        var matched = false
        for step in workPlan(for: storedHash) {
            switch step {
            case .stored: if let storedHash { matched = verify(password, against: storedHash) }
            case .dummy(let cost): _ = verify(password, against: try Self.makeDummyHash(cost: cost))
            }
        }
        return matched
    }

    /// One bcrypt of a login: against the stored hash, or against a dummy of a cost.
    enum WorkStep: Equatable {
        case stored(cost: Int)
        case dummy(cost: Int)

        /// bcrypt's rounds for this step: 2^cost.
        var rounds: Int {
            switch self {
            case .stored(let cost), .dummy(let cost): return 1 << cost
            }
        }
    }

    /// The bcrypt runs a login does for `storedHash`; their rounds add up to at least 2^cost (exactly,
    /// unless the stored hash has a higher cost than this hasher's, which is then the work of every login
    /// of that account).
    func workPlan(for storedHash: String?) -> [WorkStep] {
        guard let storedHash, Self.isBcrypt(storedHash), let stored = Self.cost(of: storedHash) else {
            return [.dummy(cost: cost)]
        }
        return [.stored(cost: stored)] + (stored < cost ? (stored..<cost).map { .dummy(cost: $0) } : [])
    }

    /// True when `storedHash` is weaker than what this hasher would write (another variant or a
    /// lower cost), so a successful login should replace it.
    public func needsRehash(_ storedHash: String) -> Bool {
        guard Self.isBcrypt(storedHash), let stored = Self.cost(of: storedHash) else { return true }
        return !storedHash.hasPrefix("$2b$") || stored < cost
    }

    /// A well-formed hash at this cost that matches no password: verifying against it costs what a
    /// real verification costs, so unknown emails take as long as known ones.
    public func makeDummyHash() throws -> String {
        try Self.makeDummyHash(cost: cost)
    }

    private static func makeDummyHash(cost: Int) throws -> String {
        try makeSetting(cost: cost) + "O5bUq2CmIbq1Rt4JvBdEdz0kyEkJrvB"
    }

    /// The cost written in a bcrypt hash, if any.
    public static func cost(of hash: String) -> Int? {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return nil }
        return Int(parts[1])
    }

    static func isBcrypt(_ hash: String) -> Bool {
        let utf8 = Array(hash.utf8)
        guard utf8.count == 60, hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$") else {
            return false
        }
        guard let cost = cost(of: hash) else { return false }
        return costRange.contains(cost)
    }

    private static func makeSetting(cost: Int) throws -> String {
        var output = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let result = output.withUnsafeMutableBufferPointer { buffer in
            // rbytes NULL: libxcrypt reads the salt from the operating system's secure generator.
            crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, buffer.baseAddress, Int32(buffer.count))
        }
        guard result != nil else { throw PasswordHashError.hashingFailed }
        return String(cString: output)
    }

    /// `crypt_rn` with its ~32 KB `crypt_data` on the heap; nil on any failure (never a failure token).
    private static func crypt(_ phrase: String, setting: String) -> String? {
        // C would end the phrase at a NUL, so "abc\0x" would match "abc": such a phrase never hashes.
        if phrase.utf8.contains(0) { return nil }
        let size = MemoryLayout<crypt_data>.size
        let data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<crypt_data>.alignment)
        data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        defer {
            // The work area held the password: wipe it before freeing.
            data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            data.deallocate()
        }
        guard let result = crypt_rn(phrase, setting, data, Int32(size)) else { return nil }
        let hashed = String(cString: result)
        return hashed.hasPrefix("*") ? nil : hashed
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: left.count ^ right.count)
        for index in 0..<max(left.count, right.count) {
            let x = index < left.count ? left[index] : 0
            let y = index < right.count ? right[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
