import Foundation
import GRDB
import Testing

@testable import CustomerKit

@Suite struct AuthenticatorTests {
    let clock = TestClock()

    private func register(_ auth: Authenticator, _ email: String = "ada@example.com") throws -> Customer {
        try auth.register(Registration(email: email, name: "Ada Lovelace", password: strongPassword), actor: tester)
    }

    @Test func givenARegistration_whenLoggingIn_thenSuccessStampsLastLogin() throws {
        let (store, auth) = try makeAuthenticator(clock: clock)
        let created = try register(auth, "  ADA@Example.com ")
        #expect(created.email == "ADA@Example.com")
        #expect(created.emailNormalized == "ada@example.com")
        #expect(created.metadata.serialized == #"{"source":"direct"}"#)
        #expect(created.passwordHash?.hasPrefix("$2b$04$") == true)
        clock.advance(5)
        let loggedIn = try auth.login(email: "ada@EXAMPLE.com", password: strongPassword)
        #expect(loggedIn.id == created.id)
        #expect(loggedIn.lastLoginAt.map(Timestamp.string(from:)) == Timestamp.string(from: clock.now))
        #expect(try store.auditEntries().map(\.action) == ["customer.create"])
    }

    @Test func givenBadRegistrations_thenTypedErrorsAndNothingStored() throws {
        let (store, auth) = try makeAuthenticator(clock: clock)
        _ = try register(auth)
        #expect(throws: CustomerError.emailTaken("ada@example.com")) { try register(auth, "ADA@example.com") }
        #expect(throws: PasswordPolicyError.self) {
            try auth.register(Registration(email: "b@example.com", name: "B", password: "Password123!"), actor: tester)
        }
        #expect(throws: EmailError.self) {
            try auth.register(Registration(email: "nope", name: "B", password: strongPassword), actor: tester)
        }
        #expect(throws: CustomerError.invalidField(field: "name", reason: "it is empty")) {
            try auth.register(Registration(email: "c@example.com", name: "  ", password: strongPassword), actor: tester)
        }
        #expect(try store.customers(CustomerQuery()).count == 1)
    }

    @Test func givenEveryKindOfFailure_whenLoggingIn_thenTheSameError() throws {
        let (store, auth) = try makeAuthenticator(clock: clock)
        let ada = try register(auth)
        _ = try register(auth, "inactive@example.com")
        try store.sqlite.write { db in
            try db.execute(sql: "UPDATE customers SET active = 0 WHERE email_normalized = 'inactive@example.com'")
            try db.execute(
                sql: """
                    INSERT INTO customers (name, email, email_normalized, created_at, updated_at)
                    VALUES ('No Password', 'nopass@example.com', 'nopass@example.com', '2026-01-01T00:00:00.000Z',
                      '2026-01-01T00:00:00.000Z')
                    """)
        }
        let cases = [
            ("ada@example.com", "Wrong-Password-1"),
            ("unknown@example.com", strongPassword),
            ("inactive@example.com", strongPassword),
            ("nopass@example.com", strongPassword),
            ("ada@example.com", strongPassword + String(repeating: "x", count: 60)),
        ]
        for (email, password) in cases {
            #expect(throws: AuthError.authenticationFailed) { try auth.login(email: email, password: password) }
        }
        #expect(try store.customer(.id(ada.id)).lastLoginAt == nil)
    }

    @Test func givenFiveFailures_whenTheSixthComes_thenThrottledWithoutEvaluationUntilTheWindowPasses() throws {
        let (store, auth) = try makeAuthenticator(clock: clock)
        _ = try register(auth)
        for _ in 0..<5 {
            #expect(throws: AuthError.authenticationFailed) {
                try auth.login(email: "ada@example.com", password: "Wrong-1-password")
            }
            clock.advance(1)
        }
        // Even the right password is not evaluated while throttled.
        #expect(throws: ThrottleError.throttled(retryAfter: 55)) {
            try auth.login(email: "ada@example.com", password: strongPassword)
        }
        let recorded = try store.sqlite.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM login_attempts") }
        #expect(recorded == 5)
        #expect(try auth.throttleStates(email: "ada@example.com").first?.retryAfter == 55)
        clock.advance(55.5)
        #expect(try auth.login(email: "ada@example.com", password: strongPassword).emailNormalized == "ada@example.com")
        #expect(try auth.throttleStates(email: nil).isEmpty)
    }

    @Test func givenAnUnknownEmail_whenFailingRepeatedly_thenThrottledAtTheSixth() throws {
        let (_, auth) = try makeAuthenticator(clock: clock)
        for _ in 0..<5 {
            #expect(throws: AuthError.authenticationFailed) {
                try auth.login(email: "ghost@example.com", password: strongPassword)
            }
        }
        #expect(throws: ThrottleError.throttled(retryAfter: 60)) {
            try auth.login(email: "ghost@example.com", password: strongPassword)
        }
        #expect(try auth.resetThrottle(email: "GHOST@example.com", actor: tester) == 5)
        #expect(throws: AuthError.authenticationFailed) {
            try auth.login(email: "ghost@example.com", password: strongPassword)
        }
    }

    @Test func givenAWeakerStoredHash_whenLoginSucceeds_thenItIsUpgraded() throws {
        let (store, auth) = try makeAuthenticator(clock: clock)
        let ada = try register(auth)
        let legacy = "$2y$" + (ada.passwordHash ?? "").dropFirst(4)
        try store.sqlite.write { db in
            try db.execute(sql: "UPDATE customers SET password_hash = ?", arguments: [legacy])
        }
        let stronger = Authenticator(store: store, hasher: try PasswordHasher(cost: 5))
        _ = try stronger.login(email: "ada@example.com", password: strongPassword)
        let upgraded = try store.customer(.id(ada.id)).passwordHash ?? ""
        #expect(upgraded.hasPrefix("$2b$05$"))
        #expect(try PasswordHasher(cost: 5).verify(strongPassword, against: upgraded))
    }

    @Test func givenAProductionDatabase_whenTheCostIsBelow10_thenRegisterAndLoginRefuse() throws {
        let (store, auth) = try makeAuthenticator(clock: clock)
        _ = try store.migrate(mark: .production, actor: tester)
        #expect(throws: PasswordHashError.costTooLowForProduction(4)) { try register(auth) }
        #expect(throws: PasswordHashError.costTooLowForProduction(4)) {
            try auth.login(email: "a@example.com", password: "x")
        }
    }

    @Test func givenStaffChanges_thenIdempotentAndAudited() throws {
        let (store, auth) = try makeAuthenticator(clock: clock)
        let ada = try register(auth)
        let granted = try auth.setStaff(.email(try EmailAddress("ada@example.com")), level: .limited, actor: tester)
        #expect(granted.changed && granted.customer.isStaff && granted.customer.adminLevel == .limited)
        #expect(try !auth.setStaff(.id(ada.id), level: .limited, actor: tester).changed)
        #expect(try auth.setStaff(.id(ada.id), level: .full, actor: tester).changed)
        let revoked = try auth.setStaff(.id(ada.id), level: nil, actor: Actor("oncall"))
        #expect(revoked.changed && !revoked.customer.isStaff && revoked.customer.adminLevel == nil)
        #expect(try !auth.setStaff(.id(ada.id), level: nil, actor: tester).changed)
        #expect(throws: CustomerError.notFound("with id 99")) {
            try auth.setStaff(.id(99), level: .full, actor: tester)
        }
        let entries = try store.auditEntries(AuditQuery(customerId: ada.id))
        #expect(entries.map(\.action) == ["staff.revoke", "staff.grant", "staff.grant", "customer.create"])
        #expect(entries.first?.actor == "oncall")
        #expect(entries.first?.details.serialized == #"{"from":"full","to":null}"#)
    }
}
