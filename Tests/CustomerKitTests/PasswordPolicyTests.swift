import Testing

@testable import CustomerKit

@Suite struct PasswordPolicyTests {
    let policy = PasswordPolicy()

    @Test(arguments: [
        ("Sh0rt!pass", [PasswordRule.tooShort]),
        ("lowercase-only-1", [.noUppercase]),
        ("UPPERCASE-ONLY-1", [.noLowercase]),
        ("No-Digits-Here-At-All", [.noDigit]),
        ("NoSymbolsHere12345", [.noSymbol]),
        ("Tab\there-Pass1word", [.controlCharacter]),
        ("Password123!", [.common]),
        ("Qwerty12345!!", [.common]),
        ("Tr1cky-Falcon-Orbit", []),
    ])
    func givenOneBrokenRule_whenChecked_thenExactlyThatRuleIsReported(_ password: String, _ expected: [PasswordRule]) {
        #expect(policy.violations(of: password) == expected)
    }

    @Test func givenEveryRuleBroken_whenChecked_thenAllAreReportedAtOnce() {
        let failed = policy.violations(of: "\u{1}")
        #expect(failed == [.tooShort, .noUppercase, .noLowercase, .noDigit, .controlCharacter])
        #expect(throws: PasswordPolicyError(violations: failed)) { try policy.check("\u{1}") }
    }

    @Test func given72And73Bytes_whenChecked_thenOnlyTheLongerIsTooLong() {
        let base = "Aa1!" + String(repeating: "x", count: 68)
        #expect(base.utf8.count == 72)
        #expect(policy.violations(of: base).isEmpty)
        #expect(policy.violations(of: base + "y") == [.tooLong])
        let accented = "Aa1!" + String(repeating: "é", count: 35)  // 4 + 70 bytes
        #expect(policy.violations(of: accented) == [.tooLong])
    }

    @Test func givenNFDAndNFC_whenNormalised_thenIdentical() {
        let decomposed = "Cafe\u{0301}-Orbit-9-Falcon"
        let composed = "Caf\u{00E9}-Orbit-9-Falcon"
        #expect(PasswordPolicy.normalize(decomposed) == PasswordPolicy.normalize(composed))
        #expect(PasswordPolicy.normalize(decomposed).utf8.count == composed.utf8.count)
    }

    @Test func givenPersonalData_whenInThePassword_thenRefused() throws {
        let email = try EmailAddress("grace.hopper@example.com")
        #expect(policy.violations(of: "X1!Grace.Hopper-2024", email: email, name: nil) == [.containsEmail])
        #expect(policy.violations(of: "Xy1!-HOPPER-banana", email: nil, name: "Grace Hopper") == [.containsName])
        #expect(policy.violations(of: "Tr1cky-Falcon-Orbit", email: email, name: "Grace Hopper").isEmpty)
    }
}
