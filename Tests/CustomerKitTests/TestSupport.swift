import Foundation

@testable import CustomerKit

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        instant = start
    }

    var now: Date { lock.withLock { instant } }

    func advance(_ seconds: TimeInterval) {
        lock.withLock { instant = instant.addingTimeInterval(seconds) }
    }

    var wallClock: WallClock { WallClock { [self] in now } }
}

/// An in-memory store on `clock` and an authenticator at bcrypt cost 4.
func makeAuthenticator(clock: TestClock, throttle: ThrottlePolicy = ThrottlePolicy()) throws -> (Store, Authenticator) {
    let store = try Store.inMemory(options: StoreOptions(clock: clock.wallClock))
    return (store, Authenticator(store: store, hasher: try PasswordHasher(cost: 4), throttle: throttle))
}

let strongPassword = "Tr1cky-Falcon-Orbit"
let tester = Actor("tester")

extension Store {
    /// The SQLite backend under the store, for tests of the SQLite schema itself (triggers, pragmas)
    /// and for tampering behind the features' back.
    var sqlite: SQLiteBackend {
        get throws {
            guard let backend = backend as? SQLiteBackend else { throw TestSupportError.notSQLite }
            return backend
        }
    }
}

enum TestSupportError: Error {
    case notSQLite
}
