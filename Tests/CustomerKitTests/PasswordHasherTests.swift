import Foundation
import Testing

@testable import CustomerKit

@Suite struct PasswordHasherTests {
    @Test func givenCost12_whenHashing_thenA2bHashOfThatCost() throws {
        let hasher = try PasswordHasher(cost: 12)
        let hash = try hasher.hash(strongPassword)
        #expect(hash.wholeMatch(of: /\$2b\$12\$[.\/A-Za-z0-9]{53}/) != nil)
        #expect(hasher.verify(strongPassword, against: hash))
        #expect(!hasher.needsRehash(hash))
    }

    @Test func givenTwoHashesOfOnePassword_thenSaltsDifferAndBothVerify() throws {
        let hasher = try PasswordHasher(cost: 4)
        let first = try hasher.hash(strongPassword)
        let second = try hasher.hash(strongPassword)
        #expect(first != second)
        #expect(hasher.verify(strongPassword, against: first) && hasher.verify(strongPassword, against: second))
        #expect(!hasher.verify(strongPassword + "x", against: first))
    }

    @Test func givenNFDInput_whenVerifiedAgainstAnNFCHash_thenMatches() throws {
        let hasher = try PasswordHasher(cost: 4)
        let hash = try hasher.hash("Caf\u{00E9}-Orbit-9-Falcon")
        #expect(hasher.verify("Cafe\u{0301}-Orbit-9-Falcon", against: hash))
    }

    @Test func givenImportedVariantsAndLowerCosts_whenVerified_thenMatchAndNeedRehash() throws {
        let hasher = try PasswordHasher(cost: 6)
        // The crypt_blowfish test vector for "U*U".
        let vector = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        #expect(hasher.verify("U*U", against: vector))
        #expect(hasher.needsRehash(vector))
        let own = try PasswordHasher(cost: 6).hash(strongPassword)
        let y = "$2y$" + own.dropFirst(4)
        let a = "$2a$" + own.dropFirst(4)
        #expect(hasher.verify(strongPassword, against: y) && hasher.verify(strongPassword, against: a))
        #expect(hasher.needsRehash(y) && hasher.needsRehash(a))
        let lower = try PasswordHasher(cost: 4).hash(strongPassword)
        #expect(hasher.verify(strongPassword, against: lower))
        #expect(hasher.needsRehash(lower))
        #expect(!(try PasswordHasher(cost: 4)).needsRehash(own))
    }

    @Test(arguments: ["*0", "*1", "", "$1$abc$def", "$2b$04$short", "plaintext-password"])
    func givenFailureTokensAndOtherSchemes_whenVerified_thenNeverMatch(_ stored: String) throws {
        let hasher = try PasswordHasher(cost: 4)
        #expect(!hasher.verify(stored, against: stored))
        #expect(!hasher.verify("", against: stored))
        #expect(hasher.needsRehash(stored))
    }

    @Test func givenCostsOutOfRange_whenConfigured_thenRefused() throws {
        #expect(throws: PasswordHashError.invalidCost(3)) { try PasswordHasher(cost: 3) }
        #expect(throws: PasswordHashError.invalidCost(32)) { try PasswordHasher(cost: 32) }
        #expect(throws: PasswordHashError.costTooLowForProduction(9)) {
            try PasswordHasher(cost: 9).check(for: .production)
        }
        try PasswordHasher(cost: 10).check(for: .production)
        try PasswordHasher(cost: 4).check(for: .development)
    }

    @Test func givenTheDummyHash_thenItIsWellFormedAtTheCostAndMatchesNothing() throws {
        let hasher = try PasswordHasher(cost: 5)
        let dummy = try hasher.makeDummyHash()
        #expect(PasswordHasher.isBcrypt(dummy))
        #expect(PasswordHasher.cost(of: dummy) == 5)
        #expect(!hasher.verify(strongPassword, against: dummy))
    }

    @Test func givenStrings_whenComparedInConstantTime_thenEqualityIsExact() {
        #expect(PasswordHasher.constantTimeEqual("abc", "abc"))
        #expect(!PasswordHasher.constantTimeEqual("abc", "abd"))
        #expect(!PasswordHasher.constantTimeEqual("abc", "abcd"))
        #expect(!PasswordHasher.constantTimeEqual("", "a"))
    }
    /// SPEC 5.6: every failed login costs one bcrypt at the configured cost, whatever the reason.
    @Test(arguments: [
        ("unknown email or no password", nil as String?),
        ("hash of cost 4", "$2b$04$" + String(repeating: "a", count: 53)),
        ("legacy $2a$ hash of cost 10", "$2a$10$" + String(repeating: "b", count: 53)),
        ("not bcrypt", "pbkdf2_sha256$260000$salt$hash"),
        ("failure token", "*0"),
        ("hash of the configured cost", "$2b$12$" + String(repeating: "c", count: 53)),
    ])
    func givenAnyStoredHash_whenPlanningALogin_thenTheWorkIsOneBcryptAtTheConfiguredCost(
        reason: String, stored: String?
    ) throws {
        let hasher = try PasswordHasher(cost: 12)
        let plan = hasher.workPlan(for: stored)
        #expect(plan.map(\.rounds).reduce(0, +) == 1 << 12, "\(reason): \(plan)")
    }

    @Test func givenAHashOfALowerCost_whenVerifying_thenItStillMatchesAfterThePadding() throws {
        let weak = try PasswordHasher(cost: 4).hash(strongPassword)
        let hasher = try PasswordHasher(cost: 6)
        #expect(hasher.workPlan(for: weak) == [.stored(cost: 4), .dummy(cost: 4), .dummy(cost: 5)])
        #expect(try hasher.verifyWithEqualWork(strongPassword, against: weak))
        #expect(try !hasher.verifyWithEqualWork("Wrong-Password-9", against: weak))
        #expect(try !hasher.verifyWithEqualWork(strongPassword, against: nil))
    }
}
