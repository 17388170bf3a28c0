import Foundation
import Testing

@testable import CustomerKit

/// Property-based tests: thousands of generated inputs (fixed seeds, so a failure reproduces) for
/// the email normaliser, the password policy and the batch reader. Each must answer every input with
/// a value or its typed error, and keep its invariants.
@Suite struct PropertyTests {
    static let alphabet: [Character] = Array(
        "aZ09@.-_+ \t\n\u{0}\u{7}'\";,{}[]\\/ÄäÅå\u{0308}\u{0301}ßİı日本😀\u{2028}\u{FEFF}é")

    private func randomText(_ generator: inout SeededGenerator, maxLength: Int = 40) -> String {
        let length = Int(generator.next(upperBound: UInt64(maxLength + 1)))
        return String(
            (0..<length).map { _ in Self.alphabet[Int(generator.next(upperBound: UInt64(Self.alphabet.count)))] })
    }

    @Test func givenArbitraryText_whenParsedAsEmail_thenEitherATypedErrorOrAStableNormalForm() throws {
        var generator = SeededGenerator(seed: 1)
        var accepted = 0
        for _ in 0..<5_000 {
            let local = randomText(&generator, maxLength: 12)
            let text = generator.next() % 2 == 0 ? local : local + "@" + randomText(&generator, maxLength: 8) + ".io"
            do {
                let email = try EmailAddress(text)
                accepted += 1
                #expect(
                    try EmailAddress(email.normalized).normalized == email.normalized,
                    "not idempotent: \(text.debugDescription)")
                #expect(try EmailAddress(email.entered).normalized == email.normalized)
                #expect(email.normalized.count <= EmailAddress.maximumLength)
                #expect(email.normalized.filter { $0 == "@" }.count == 1)
                #expect(!email.normalized.unicodeScalars.contains { $0.properties.generalCategory == .control })
            } catch let error as EmailError {
                #expect(error.kind == .invalidData)
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(accepted > 100)
    }

    @Test func givenArbitraryPasswords_thenViolationsAreExactlyTheBrokenRules() {
        var generator = SeededGenerator(seed: 2)
        let policy = PasswordPolicy()
        for _ in 0..<3_000 {
            let password = randomText(&generator, maxLength: 80)
            let violations = policy.violations(of: password)
            let normalized = PasswordPolicy.normalize(password)
            #expect(violations.contains(.tooShort) == (normalized.count < 12))
            #expect(violations.contains(.tooLong) == (normalized.utf8.count > 72))
            #expect(
                violations.contains(.controlCharacter)
                    == normalized.unicodeScalars.contains { $0.properties.generalCategory == .control })
            #expect(violations == PasswordPolicy().violations(of: normalized), "NFC changed the verdict")
            #expect(Set(violations).count == violations.count)
        }
    }

    @Test func givenArbitraryBatchFiles_thenEveryLineIsARecordOrAnErrorWithItsLine() {
        var generator = SeededGenerator(seed: 3)
        for format in BatchFormat.allCases {
            for _ in 0..<500 {
                var text = format == .csv ? "email,name,forge\n" : ""
                let lines = Int(generator.next(upperBound: UInt64(8)))
                for _ in 0..<lines {
                    switch generator.next() % 4 {
                    case 0:
                        text +=
                            format == .csv
                            ? "a@x.io,\"N, \"\"q\"\"\",github:a\n" : #"{"email":"a@x.io","name":"N"}"# + "\n"
                    case 1: text += randomText(&generator) + "\n"
                    case 2: text += "\"" + randomText(&generator) + "\n"
                    default: text += "\n"
                    }
                }
                let total = text.split(separator: "\n", omittingEmptySubsequences: false).count
                for (line, record) in BatchReader.parse(Data(text.utf8), format: format) {
                    #expect(line >= 1 && line <= total)
                    if case .failure(.malformed(let reported, let reason)) = record {
                        #expect(reported == line)
                        #expect(!reason.isEmpty)
                    }
                }
            }
        }
    }
}
