import Testing

@testable import CustomerKit

@Suite struct EmailAddressTests {
    @Test func givenUnicodeCaseAndNormalisationVariants_whenNormalised_thenTheyAreOneAddress() throws {
        let upper = try EmailAddress("  ÄLICE@X.io ")
        let lower = try EmailAddress("älice@x.io")
        let decomposed = try EmailAddress("a\u{0308}lice@x.io")
        #expect(upper.normalized == "älice@x.io")
        #expect(upper.normalized == lower.normalized)
        #expect(decomposed.normalized == lower.normalized)
        #expect(upper.entered == "ÄLICE@X.io")
        #expect(upper.localPart == "älice")
    }

    @Test(arguments: [
        "", "   ", "no-at-sign", "two@@x.io", "a@b@x.io", "@x.io", "a@localhost", "a@.io", "a@x.", "a b@x.io",
        "tab\t@x.io", "nul\u{0}@x.io", "bell\u{7}@x.io",
        String(repeating: "a", count: 250) + "@x.io",
    ])
    func givenMalformedText_whenParsed_thenInvalidData(_ text: String) {
        #expect(throws: EmailError.self) { try EmailAddress(text) }
        do {
            _ = try EmailAddress(text)
        } catch let error as EmailError {
            #expect(error.kind == .invalidData)
            #expect(error.code == "invalid_email")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func givenQuotesAndSQL_whenParsed_thenKeptVerbatim() throws {
        let email = try EmailAddress("o'brien+\"x\";DROP@example.com")
        #expect(email.normalized == "o'brien+\"x\";drop@example.com")
    }

    @Test func givenExactly254Characters_whenParsed_thenAccepted() throws {
        let text = String(repeating: "a", count: 254 - "@x.io".count) + "@x.io"
        #expect(text.count == 254)
        #expect(try EmailAddress(text).normalized == text)
    }

    @Test func givenANumberOrAnEmail_whenReferenceParsed_thenIdOrEmail() throws {
        #expect(try CustomerReference(parsing: "42") == .id(42))
        #expect(try CustomerReference(parsing: "Bob@Example.com") == .email(try EmailAddress("bob@example.com")))
        #expect(throws: EmailError.self) { try CustomerReference(parsing: "-3") }
    }
}
