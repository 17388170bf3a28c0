import Foundation

/// Where the core gets the current time; tests inject a fixed or stepping clock.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock that reads `now` each time it is asked.
    public init(_ now: @escaping @Sendable () -> Date) {
        self.read = now
    }

    /// The current instant.
    public var now: Date { read() }

    /// The system's real-time clock.
    public static let system = WallClock { Date() }

    /// A clock stopped at one instant.
    public static func fixed(_ instant: Date) -> WallClock {
        WallClock { instant }
    }
}
