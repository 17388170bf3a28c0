import Foundation

/// Trimming text the way custctl keeps it. ASCII, the usual case, is handled byte by byte and is its
/// own NFC: Foundation's character sets and normalisation cost a read command 8% of its instructions,
/// and a provisioned customer several of its checks.
enum Text {
    /// Trimmed of whitespace and newlines, then NFC.
    static func composed(_ text: String) -> String {
        guard isASCII(text) else {
            return text.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping
        }
        return trimmed(text) { $0 == 0x20 || (0x09...0x0D).contains($0) }
    }

    /// Trimmed of spaces and tabs (and, beyond ASCII, of the other Unicode spaces), as Foundation's
    /// `.whitespaces` trims.
    static func trimmingSpaces(_ text: String) -> String {
        guard isASCII(text) else { return text.trimmingCharacters(in: .whitespaces) }
        return trimmed(text) { $0 == 0x20 || $0 == 0x09 }
    }

    static func isASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } }

    private static func trimmed(_ text: String, of isSpace: (UInt8) -> Bool) -> String {
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(text[first...last])
    }
}
