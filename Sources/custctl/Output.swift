import CustomerKit
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Writes data to standard output and diagnostics to standard error, as text or JSON.
struct Output {
    let json: Bool
    let quiet: Bool
    let verbose: Bool

    /// Prints a command's result: `object` with `--json`, else `human` (nothing when empty, or with
    /// `--quiet`, which leaves only errors).
    func result(_ object: JSONValue, human: () -> String) {
        if json {
            Output.write(object.serialized + "\n", to: .stdout)
        } else if !quiet {
            let text = human()
            if !text.isEmpty { Output.write(text.hasSuffix("\n") ? text : text + "\n", to: .stdout) }
        }
    }

    /// Prints a list: JSON Lines with `--json`, else a table (nothing when empty, or with `--quiet`) and
    /// `summary` on stderr.
    func list<Items: Collection>(
        _ items: Items, header: [String], row: (Items.Element) -> [String], json: (Items.Element) -> JSONValue,
        summary: String, nextAfterId: Int64? = nil
    ) {
        if self.json {
            for item in items { Output.write(json(item).serialized + "\n", to: .stdout) }
        } else {
            if !items.isEmpty && !quiet { Output.write(Output.table(header, items.map(row)) + "\n", to: .stdout) }
            note(summary)
        }
        nextPage(nextAfterId)
    }

    /// Names the next page on standard error, also with --json, so JSON Lines and CSV stay pure rows.
    private func nextPage(_ afterId: Int64?) {
        if let afterId, !quiet { Output.write("more: continue with --after-id \(afterId)\n", to: .stderr) }
    }

    /// JSON objects with the same keys as CSV rows (see `csv(_:_:)`) on standard output.
    func csv(_ objects: [JSONValue], nextAfterId: Int64?) {
        let header: [String]
        if case .object(let members)? = objects.first { header = members.map(\.0) } else { header = [] }
        let rows = objects.map { object -> [String] in
            guard case .object(let members) = object else { return [] }
            return members.map { _, value in
                switch value {
                case .string(let text), .raw(let text): text
                case .null: ""
                default: value.serialized
                }
            }
        }
        if !header.isEmpty { Output.write(Output.csv(header, rows), to: .stdout) }
        nextPage(nextAfterId)
    }

    /// A paged list (see `list`), naming the next page when more rows remain.
    func list<Item>(
        _ page: Paged<Item>, header: [String], row: (Item) -> [String], json: (Item) -> JSONValue, summary: String
    ) {
        list(page.items, header: header, row: row, json: json, summary: summary, nextAfterId: page.nextAfterId)
    }

    /// A secret shown once (a new API key, a generated password): printed even with `--quiet`, since
    /// it cannot be shown again.
    func secret(_ text: String) {
        guard !json else { return }
        Output.write(text + "\n", to: .stdout)
    }

    /// A progress or status note on standard error (silenced by `--quiet` and `--json`).
    func note(_ text: String) {
        guard !quiet, !json else { return }
        Output.write(text + "\n", to: .stderr)
    }

    /// A progress line redrawn in place on standard error, only when it is a terminal.
    func progress(_ done: Int, of total: Int, _ what: String) {
        guard !quiet, !json, isatty(STDERR_FILENO) == 1, total > 0 else { return }
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        Output.write("\r[\(bar)] \(done)/\(total) \(what)" + (done >= total ? "\n" : ""), to: .stderr)
    }

    /// A diagnostic for `--verbose`.
    func debug(_ text: String) {
        guard verbose else { return }
        Output.write("custctl: " + text + "\n", to: .stderr)
    }

    /// The two streams a command writes to.
    enum Stream: Int32 {
        case stdout = 1
        case stderr = 2
    }

    static func write(_ text: String, to stream: Stream) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(stream.rawValue, base + offset, buffer.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }  // a closed pipe: nothing more to say
            offset += written
        }
    }

    /// True when colour may be used on standard error: a terminal that can show it, and no NO_COLOR.
    static var colourOnStderr: Bool {
        let environment = Settings.environment
        return isatty(STDERR_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    /// RFC 4180 CSV: a header row, CRLF line ends, a field quoted (quotes doubled) when it holds a comma,
    /// a quote, CR or LF. Values are written as stored, never altered.
    static func csv(_ header: [String], _ rows: [[String]]) -> String {
        func field(_ text: String) -> String {
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
            else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return ([header] + rows).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    /// Pads columns for a human table. Cells are escaped first, so a stored value holding a newline or
    /// an escape sequence cannot forge a row or rewrite the terminal (SPEC 5.9).
    static func table(_ header: [String]?, _ rows: [[String]]) -> String {
        let rows = rows.map { $0.map(escapingControls) }
        var widths = header?.map(displayWidth) ?? Array(repeating: 0, count: rows.map(\.count).max() ?? 0)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], displayWidth(cell))
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1
                    ? cell : cell + String(repeating: " ", count: max(0, widths[index] - displayWidth(cell)))
            }.joined(separator: "  ")
        }
        return ((header.map { [line($0)] } ?? []) + rows.map(line)).joined(separator: "\n")
    }

    /// `text` with control, format and line-separator characters written as escapes (`\n`, `\u{1B}`).
    static func escapingControls(_ text: String) -> String {
        // Printable ASCII, nearly every cell, has nothing to escape (no Unicode property lookups).
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where isControl(scalar):
                escaped += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        // Zero-width (non-)joiners are format characters that emoji and some scripts need.
        if scalar == "\u{200C}" || scalar == "\u{200D}" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// Columns a string takes on a terminal: wide (CJK, fullwidth) and emoji characters take two,
    /// combining marks and joiners none.
    static func displayWidth(_ text: String) -> Int {
        // ASCII, nearly every cell: one column a printable byte, none a control byte.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            return text.utf8.reduce(0) { $0 + ($1 >= 0x20 && $1 != 0x7F ? 1 : 0) }
        }
        return text.reduce(0) { total, character in
            let scalars = character.unicodeScalars
            guard let first = scalars.first else { return total }
            if first.properties.isEmojiPresentation || scalars.contains(where: { $0.value == 0xFE0F }) {
                return total + 2
            }
            if first.properties.generalCategory == .control { return total }
            return total + (isWide(first) ? 2 : 1)
        }
    }

    /// East Asian Wide and Fullwidth ranges (Unicode TR 11), the ones terminals draw two columns wide.
    private static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}
