import ArgumentParser
import CustomerKit
import Foundation

/// Configuration read from the environment: the executable's job, so the core stays pure.
enum Settings {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

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
            guard let value = Int(text), value >= 1 else {
                throw ConfigurationError.invalidEnvironment(
                    name: "CUSTCTL_LOGIN_MAX_ATTEMPTS", value: text, expected: "a whole number, 1 or more")
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
            var timeout: TimeInterval = 15
            if let text = environment["CUSTCTL_STRIPE_TIMEOUT"], !text.isEmpty {
                guard let value = Double(text), value > 0 else {
                    throw ConfigurationError.invalidEnvironment(
                        name: "CUSTCTL_STRIPE_TIMEOUT", value: text, expected: "seconds, more than 0")
                }
                timeout = value
            }
            return try StripeBilling(apiKey: environment["STRIPE_API_KEY"], baseURL: base, timeout: timeout)
        }
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

    /// The acting user for the audit log: `--actor`, else the OS user.
    var resolved: Actor {
        if let name, !name.trimmingCharacters(in: .whitespaces).isEmpty { return Actor(name) }
        if let entry = getpwuid(getuid()), let user = entry.pointee.pw_name { return Actor(String(cString: user)) }
        return Actor("uid:\(getuid())")
    }
}
