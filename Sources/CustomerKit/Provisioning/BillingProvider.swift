import Foundation

/// What a billing provider needs to create its customer.
public struct BillingCustomerRequest: Sendable, Equatable {
    public let email: String
    public let name: String
    public let source: String
    /// Derived from the request, so a retry reuses the provider's first answer.
    public let idempotencyKey: String
}

/// Creates the billing-provider customer whose id provisioning stores.
public protocol BillingProvider: Sendable {
    /// `local` or `stripe`.
    var name: String { get }
    /// The provider's customer id.
    func createCustomer(_ request: BillingCustomerRequest) throws -> String
}

/// Failures of the billing provider.
public enum BillingProviderError: DomainError, Equatable {
    /// `STRIPE_API_KEY` is not set.
    case missingAPIKey
    /// A base URL that cannot be used.
    case invalidBaseURL(String)
    /// The provider answered 4xx: it refuses this request.
    case refused(status: Int, message: String)
    /// Network failure, timeout, 5xx or an answer that is not the expected JSON.
    case unavailable(String)

    public var kind: FailureKind {
        switch self {
        case .missingAPIKey, .invalidBaseURL: return .configuration
        case .refused: return .refused
        case .unavailable: return .tryLater
        }
    }

    public var code: String {
        switch self {
        case .missingAPIKey, .invalidBaseURL: return "billing_not_configured"
        case .refused: return "billing_refused"
        case .unavailable: return "billing_unavailable"
        }
    }

    public var description: String {
        switch self {
        case .missingAPIKey: return "--billing stripe needs STRIPE_API_KEY in the environment"
        case .invalidBaseURL(let text): return "CUSTCTL_STRIPE_API_BASE='\(text)' is not an http(s) URL"
        case let .refused(status, message): return "Stripe refused the customer (HTTP \(status)): \(message)"
        case .unavailable(let reason):
            return
                "Stripe could not be reached or answered oddly (\(reason)); nothing was written: try the same command "
                + "again later (its idempotency key makes the retry safe)"
        }
    }
}

/// Local billing: an id made here (`cus_local_` + 24 base62 characters from the secure generator).
public struct LocalBilling: BillingProvider {
    public init() {}
    public var name: String { "local" }

    public func createCustomer(_ request: BillingCustomerRequest) throws -> String {
        "cus_local_" + APIKeyFormat.randomBase62(24)
    }
}

/// Stripe: `POST {base}/v1/customers`, form-encoded, with the request's Idempotency-Key, so a retried
/// provision (after a crash or an HTTP failure) gets the customer the first attempt created.
public struct StripeBilling: BillingProvider {
    let apiKey: String
    let baseURL: URL
    let timeout: TimeInterval

    /// Stripe at `baseURL` (https://api.stripe.com unless overridden for tests).
    public init(apiKey: String?, baseURL: String = "https://api.stripe.com", timeout: TimeInterval = 15) throws {
        guard let apiKey, !apiKey.isEmpty else { throw BillingProviderError.missingAPIKey }
        guard let url = URL(string: baseURL), let scheme = url.scheme, ["http", "https"].contains(scheme) else {
            throw BillingProviderError.invalidBaseURL(baseURL)
        }
        self.apiKey = apiKey
        self.baseURL = url
        self.timeout = timeout
    }

    public var name: String { "stripe" }

    public func createCustomer(_ request: BillingCustomerRequest) throws -> String {
        let body = Self.form([
            ("email", request.email), ("name", request.name), ("metadata[source]", request.source),
            ("metadata[created_by]", "custctl"),
        ])
        let (data, status) = try HTTPClient.post(
            baseURL.appendingPathComponent("v1/customers"),
            headers: [
                ("Authorization", "Bearer \(apiKey)"), ("Idempotency-Key", request.idempotencyKey),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body: body, timeout: timeout)
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard (200..<300).contains(status) else {
            let message = ((object?["error"] as? [String: Any])?["message"] as? String) ?? "no message"
            if (400..<500).contains(status) { throw BillingProviderError.refused(status: status, message: message) }
            throw BillingProviderError.unavailable("HTTP \(status): \(message)")
        }
        guard let id = object?["id"] as? String, !id.isEmpty else {
            throw BillingProviderError.unavailable("the answer has no customer id")
        }
        return id
    }

    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { key, value in
            let k = key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key
            let v = value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
            return "\(k)=\(v)"
        }.joined(separator: "&")
    }
}
