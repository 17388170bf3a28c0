import ArgumentParser
import CustomerKit
import Foundation

/// Configuration read from the environment: the executable's job, so the core stays pure.
enum Settings {
    /// The process environment, read one variable at a time.
    static let environment = ProcessEnvironment()

    /// Reads every variable custctl knows, so a bad value stops any command (64), not only the
    /// commands that happen to use it.
    static func check() throws {
        _ = try hasher()
        _ = try throttle()
        _ = try busyTimeout(environment)
        _ = try stripeTimeout()
    }

    /// `CUSTCTL_BUSY_TIMEOUT` in seconds (0 to a day), or nil when unset.
    static func busyTimeout(_ environment: ProcessEnvironment) throws -> Double? {
        guard let text = environment["CUSTCTL_BUSY_TIMEOUT"], !text.isEmpty else { return nil }
        guard let value = Double(text), value >= 0, value <= GlobalSettings.maximumBusyTimeout else {
            throw ConfigurationError.invalidEnvironment(
                name: "CUSTCTL_BUSY_TIMEOUT", value: text, expected: "a number of seconds from 0 to 86400")
        }
        return value
    }

    /// The bcrypt cost: `CUSTCTL_BCRYPT_COST` (4 to 31), else 12.
    static func hasher() throws -> PasswordHasher {
        guard let text = environment["CUSTCTL_BCRYPT_COST"], !text.isEmpty else { return try PasswordHasher() }
        guard let cost = Int(text), PasswordHasher.costRange.contains(cost) else {
            throw ConfigurationError.invalidEnvironment(
                name: "CUSTCTL_BCRYPT_COST", value: text, expected: "a whole number from 4 to 31")
        }
        return try PasswordHasher(cost: cost)
    }

    /// Throttle limits: `CUSTCTL_LOGIN_MAX_ATTEMPTS` and `CUSTCTL_LOGIN_WINDOW_SECONDS`.
    static func throttle() throws -> ThrottlePolicy {
        var policy = ThrottlePolicy()
        if let text = environment["CUSTCTL_LOGIN_MAX_ATTEMPTS"], !text.isEmpty {
            guard let value = Int(text), (1...ThrottlePolicy.hourlyMaximum).contains(value) else {
                throw ConfigurationError.invalidEnvironment(
                    name: "CUSTCTL_LOGIN_MAX_ATTEMPTS", value: text,
                    expected: "a whole number from 1 to \(ThrottlePolicy.hourlyMaximum)")
            }
            policy.maxAttempts = value
        }
        if let text = environment["CUSTCTL_LOGIN_WINDOW_SECONDS"], !text.isEmpty {
            guard let value = Double(text), value > 0, value <= ThrottlePolicy.hour else {
                throw ConfigurationError.invalidEnvironment(
                    name: "CUSTCTL_LOGIN_WINDOW_SECONDS", value: text, expected: "seconds, more than 0 and at most 3600"
                )
            }
            policy.window = value
        }
        return policy
    }

    /// The billing provider `--billing` names; Stripe reads `STRIPE_API_KEY` and `CUSTCTL_STRIPE_API_BASE`.
    static func billing(_ provider: BillingChoice) throws -> any BillingProvider {
        switch provider {
        case .local:
            return LocalBilling()
        case .stripe:
            let base =
                environment["CUSTCTL_STRIPE_API_BASE"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://api.stripe.com"
            return try StripeBilling(apiKey: environment["STRIPE_API_KEY"], baseURL: base, timeout: stripeTimeout())
        }
    }

    /// `CUSTCTL_STRIPE_TIMEOUT` in seconds (more than 0, at most 10 minutes), else 15.
    static func stripeTimeout() throws -> TimeInterval {
        guard let text = environment["CUSTCTL_STRIPE_TIMEOUT"], !text.isEmpty else { return 15 }
        guard let value = Double(text), value > 0, value <= 600 else {
            throw ConfigurationError.invalidEnvironment(
                name: "CUSTCTL_STRIPE_TIMEOUT", value: text, expected: "seconds, more than 0 and at most 600")
        }
        return value
    }

}

/// `--billing local|stripe`.
enum BillingChoice: String, ExpressibleByArgument, CaseIterable {
    case local, stripe
}

/// `--actor NAME`, shared by every command that changes something.
struct ActorOption: ParsableArguments {
    @Option(name: .customLong("actor"), help: "Who is acting, for the audit log (default: the OS user).")
    var name: String?

    /// The acting user for the audit log: the OS user (effective uid), labelled `--actor` when given.
    var resolved: Actor {
        get throws {
            let osUser = Self.operatingSystemUser
            guard let name else { return Actor(osUser) }
            return try Actor.labelled(name, osUser: osUser)
        }
    }

    /// The effective user's name, else `uid:N`.
    private static var operatingSystemUser: String {
        let uid = geteuid()
        if let entry = getpwuid(uid), let user = entry.pointee.pw_name { return String(cString: user) }
        return "uid:\(uid)"
    }
}

/// The process environment, read with `getenv` one variable at a time: Foundation's dictionary of every
/// variable (`ProcessInfo.environment`) cost a read command 5% of its instructions to build.
struct ProcessEnvironment: Sendable {
    subscript(name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
