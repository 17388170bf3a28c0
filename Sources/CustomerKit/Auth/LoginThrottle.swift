import Foundation

/// Login throttling limits (SPEC 5.3), per normalised email, existing or not.
public struct ThrottlePolicy: Sendable, Equatable {
    /// Failed attempts allowed in any `window`.
    public var maxAttempts: Int
    /// The short window, in seconds.
    public var window: TimeInterval
    /// Failed attempts allowed in any hour.
    public var hourlyMaxAttempts: Int

    /// One hour: the long window.
    public static let hour: TimeInterval = 3600
    /// The SPEC's failed attempts in any hour; the short-window limit cannot exceed it.
    public static let hourlyMaximum = 100
    /// The SPEC's limits, which a production database allows the environment only to tighten.
    public static let standard = ThrottlePolicy()

    /// Throws when these limits are looser than the SPEC's on a database in `environment` (SPEC 5.11):
    /// on production the environment can make throttling stricter, never looser.
    public func check(for environment: DatabaseEnvironment) throws {
        guard environment == .production else { return }
        if maxAttempts > Self.standard.maxAttempts || window < Self.standard.window
            || hourlyMaxAttempts > Self.standard.hourlyMaxAttempts
        {
            throw ThrottleConfigurationError.looserThanProduction(maxAttempts: maxAttempts, window: window)
        }
    }

    /// The SPEC defaults: 5 per 60 seconds and 100 per hour.
    public init(maxAttempts: Int = 5, window: TimeInterval = 60, hourlyMaxAttempts: Int = hourlyMaximum) {
        self.maxAttempts = maxAttempts
        self.window = window
        self.hourlyMaxAttempts = hourlyMaxAttempts
    }

    /// Seconds until another attempt is allowed, or nil when one is allowed now. `attempts` are the
    /// instants of failed (or unfinished) attempts in the last hour, in any order.
    public func retryAfter(attempts: [Date], now: Date) -> Int? {
        let recent = attempts.filter { now.timeIntervalSince($0) < Self.hour }.sorted()
        var waits: [TimeInterval] = []
        if let wait = Self.wait(recent, within: window, limit: maxAttempts, now: now) { waits.append(wait) }
        if let wait = Self.wait(recent, within: Self.hour, limit: hourlyMaxAttempts, now: now) { waits.append(wait) }
        guard let longest = waits.max() else { return nil }
        return max(1, Int(longest.rounded(.up)))
    }

    /// How long until fewer than `limit` of `sorted` fall within `span` seconds before now.
    private static func wait(_ sorted: [Date], within span: TimeInterval, limit: Int, now: Date) -> TimeInterval? {
        let inside = sorted.filter { now.timeIntervalSince($0) < span }
        guard inside.count >= limit else { return nil }
        // The (count - limit + 1) oldest must leave the window; the last of them leaves at +span.
        return inside[inside.count - limit].addingTimeInterval(span).timeIntervalSince(now)
    }
}

/// Throttle limits a database refuses.
public enum ThrottleConfigurationError: DomainError, Equatable {
    /// The environment asked for looser limits than the SPEC's on a production database.
    case looserThanProduction(maxAttempts: Int, window: TimeInterval)

    public var kind: FailureKind { .configuration }
    public var code: String { "throttle_too_loose" }
    public var description: String {
        switch self {
        case let .looserThanProduction(attempts, window):
            return "login throttling of \(attempts) attempts per \(Int(window)) s is looser than a production "
                + "database allows (at most \(ThrottlePolicy.standard.maxAttempts) per "
                + "\(Int(ThrottlePolicy.standard.window)) s); unset CUSTCTL_LOGIN_MAX_ATTEMPTS and "
                + "CUSTCTL_LOGIN_WINDOW_SECONDS or make them stricter"
        }
    }
}

/// Throttling refusals.
public enum ThrottleError: DomainError, Equatable {
    /// Too many failed attempts: try again after `retryAfter` seconds.
    case throttled(retryAfter: Int)

    public var kind: FailureKind { .tryLater }
    public var code: String { "throttled" }
    public var description: String {
        switch self {
        case .throttled(let seconds):
            return "too many failed login attempts for this email; try again in \(seconds) s"
        }
    }
    public var details: [(String, JSONValue)] {
        switch self {
        case .throttled(let seconds): return [("retry_after", .int(Int64(seconds)))]
        }
    }
}

/// One email's throttling state, for `custctl throttle status`.
public struct ThrottleState: Sendable, Equatable {
    /// The normalised email.
    public let email: String
    /// Failed or unfinished attempts in the short window.
    public let failuresInWindow: Int
    /// Failed or unfinished attempts in the last hour.
    public let failuresInHour: Int
    /// Seconds until the next attempt is allowed; nil when not throttled.
    public let retryAfter: Int?
    /// When the throttle lifts; nil when not throttled.
    public let throttledUntil: Date?
}
