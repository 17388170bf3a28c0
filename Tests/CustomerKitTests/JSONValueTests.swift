import Foundation
import Testing

@testable import CustomerKit

/// The JSON reader behind stored metadata: what it reads must serialise back as the same text.
@Suite struct JSONValueTests {
    @Test func givenAnObject_whenParsed_thenTheKeysKeepTheirOrder() throws {
        let value = try JSONValue(parsing: #"{"zeta":1,"alpha":2,"mid":3}"#)
        #expect(value == .object([("zeta", .int(1)), ("alpha", .int(2)), ("mid", .int(3))]))
        #expect(value.serialized == #"{"zeta":1,"alpha":2,"mid":3}"#)
    }

    @Test func givenNestedObjectsAndArrays_whenParsed_thenTheWholeTree() throws {
        let text = #"{"source":"seed","lots":[{"grant_id":4,"credits":2},[],{}],"ok":true,"none":null,"off":false}"#
        let value = try JSONValue(parsing: text)
        #expect(
            value
                == .object([
                    ("source", .string("seed")),
                    (
                        "lots",
                        .array([.object([("grant_id", .int(4)), ("credits", .int(2))]), .array([]), .object([])])
                    ),
                    ("ok", .bool(true)), ("none", .null), ("off", .bool(false)),
                ]))
        #expect(value.serialized == text)
        #expect(
            value["lots"] == .array([.object([("grant_id", .int(4)), ("credits", .int(2))]), .array([]), .object([])]))
        #expect(value["source"]?.stringValue == "seed" && value["missing"] == nil)
    }

    @Test(arguments: [
        ("1.5", "1.5"), ("-0.25", "-0.25"), ("1e3", "1e3"), ("2.50E-7", "2.50E-7"), ("-0", "-0"),
        ("9223372036854775808", "9223372036854775808"), ("0.1", "0.1"),
    ])
    func givenANumberThatIsNotAPlainInteger_whenParsed_thenItsTextIsKept(text: String, kept: String) throws {
        let value = try JSONValue(parsing: "[\(text)]")
        #expect(value == .array([.number(kept)]))
        #expect(value.serialized == "[\(kept)]")
    }

    @Test func givenIntegers_whenParsed_thenInt64() throws {
        #expect(
            try JSONValue(parsing: "[0,-7,9223372036854775807,-9223372036854775808]")
                == .array([.int(0), .int(-7), .int(.max), .int(.min)]))
    }

    @Test func givenEscapes_whenParsed_thenTheCharacters() throws {
        let value = try JSONValue(parsing: #"["caf\u00e9","\ud83d\ude00","a\"b\\c\/d","\b\f\n\r\t","\u0001","é😀"]"#)
        #expect(
            value
                == .array([
                    .string("café"), .string("😀"), .string("a\"b\\c/d"), .string("\u{8}\u{C}\n\r\t"),
                    .string("\u{1}"), .string("é😀"),
                ]))
        // A lone surrogate is no character.
        #expect(try JSONValue(parsing: #""\ud800x""#) == .string("\u{FFFD}x"))
    }

    @Test func givenWhitespace_whenParsed_thenIgnoredAndTheCompactFormWritten() throws {
        let value = try JSONValue(parsing: " {\n\t\"a\" : [ 1 , 2 ] ,\r\n \"b\" : \"x y\" } ")
        #expect(value.serialized == #"{"a":[1,2],"b":"x y"}"#)
    }

    @Test func givenTextSerialisedByJSONValue_whenParsed_thenItSerialisesBackTheSame() throws {
        let original = JSONValue.object([
            ("a\"b", .string("line\nbreak\u{1}\\\u{7F}\u{2028}é😀")), ("n", .null),
            ("list", .array([.int(-3), .bool(true), .number("1.25")])), ("a\"b", .object([("", .string(""))])),
        ])
        let reparsed = try JSONValue(parsing: original.serialized)
        #expect(reparsed == original)
        #expect(reparsed.serialized == original.serialized)
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "[1 2]", "'x'", "\"unterminated", "tru",
        "nul", "01", "1.", ".5", "1e", "-", "+1", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"tab\there\"", "[] []",
        "NaN", "Infinity", "{\"a\":1}x",
    ])
    func givenInvalidJSON_whenParsed_thenRejected(text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: text) }
    }

    @Test func givenDeepNesting_whenParsed_thenRefusedNotACrash() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try JSONValue(parsing: fine).serialized == fine)
    }

    @Test func givenAnError_thenItSaysWhere() {
        #expect(throws: JSONSyntaxError(offset: 7, reason: "expected ',' or '}'")) {
            try JSONValue(parsing: #"{"a":1 "b":2}"#)
        }
    }
}
