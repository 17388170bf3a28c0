import Foundation

/// Formats of a provisioning batch file.
public enum BatchFormat: String, Sendable, CaseIterable {
    case jsonl, csv

    /// The format a file's extension says (`.jsonl`, `.ndjson`, `.json`, `.csv`).
    public static func guess(path: String) -> BatchFormat? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "jsonl", "ndjson", "json": return .jsonl
        case "csv": return .csv
        default: return nil
        }
    }
}

/// Problems with a batch file itself or one of its lines.
public enum BatchError: DomainError, Equatable {
    /// The file is missing or cannot be read.
    case unreadable(String, reason: String)
    /// The format cannot be told from the name.
    case unknownFormat(String)
    /// A line that is not a valid record.
    case malformed(line: Int, reason: String)

    public var kind: FailureKind {
        switch self {
        case .unreadable: return .inputUnreadable
        case .unknownFormat: return .usage
        case .malformed: return .invalidData
        }
    }

    public var code: String {
        switch self {
        case .unreadable: return "input_unreadable"
        case .unknownFormat: return "unknown_input_format"
        case .malformed: return "malformed_record"
        }
    }

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case .unknownFormat(let path):
            return "cannot tell the format of \(path) from its name; pass --input-format jsonl or csv"
        case let .malformed(line, reason): return "line \(line): \(reason)"
        }
    }

    public var details: [(String, JSONValue)] {
        if case .malformed(let line, _) = self { return [("line", .int(Int64(line)))] }
        return []
    }
}

/// Reads provisioning records from JSON Lines or CSV; each record keeps its (first) line number. An
/// error names the line and the problem, never the line's content: the file may not be what the
/// operator thought (`/etc/shadow` named by mistake must not reach a terminal or a CI log).
public enum BatchReader {
    /// The record fields, named like the command's options.
    static let fields: Set<String> = ["email", "name", "company", "source", "forge", "idempotency_key"]

    /// Every record of the file, or the error of its line.
    public static func read(path: String, format: BatchFormat) throws -> [(
        line: Int, record: Result<ProvisionRequest, BatchError>
    )] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw BatchError.unreadable(
                path, reason: errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw BatchError.unreadable(path, reason: "it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BatchError.unreadable(path, reason: "permission denied")
        }
        return parse(data, format: format)
    }

    /// Parses file contents.
    public static func parse(_ data: Data, format: BatchFormat) -> [(
        line: Int, record: Result<ProvisionRequest, BatchError>
    )] {
        switch format {
        case .jsonl: return parseJSONLines(data)
        case .csv: return parseCSV(data)
        }
    }

    static func parseJSONLines(_ data: Data) -> [(line: Int, record: Result<ProvisionRequest, BatchError>)] {
        var records: [(Int, Result<ProvisionRequest, BatchError>)] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.drop(while: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            if trimmed.isEmpty || trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            records.append((lineNumber, record(fromJSON: Data(trimmed), line: lineNumber)))
        }
        return records
    }

    /// One line as a request. Parsed by custctl's own JSON reader, which keeps a repeated key (which of
    /// two emails was meant is unknowable: refused) and costs a fraction of JSONSerialization.
    private static func record(fromJSON data: Data, line: Int) -> Result<ProvisionRequest, BatchError> {
        guard let text = String(validating: data, as: UTF8.self) else {
            return .failure(.malformed(line: line, reason: "not valid UTF-8"))
        }
        let members: [(String, JSONValue)]
        do {
            guard case .object(let parsed) = try JSONValue(parsing: text) else {
                return .failure(.malformed(line: line, reason: "expected a JSON object"))
            }
            members = parsed
        } catch {
            return .failure(.malformed(line: line, reason: "not valid JSON"))
        }
        var seen: [String] = []
        for (key, _) in members {
            if seen.contains(key) {
                return .failure(.malformed(line: line, reason: "\(describe(field: key)) appears twice"))
            }
            seen.append(key)
        }
        var strings: [String: String] = [:]
        var forges: [String] = []
        for (key, value) in members {
            guard fields.contains(key) else {
                return .failure(.malformed(line: line, reason: "an unknown field; the fields are \(fieldList)"))
            }
            switch (key, value) {
            case (_, .null):
                continue
            case ("forge", .string(let one)):
                forges = [one]
            case ("forge", .array(let many)):
                var names: [String] = []
                for element in many {
                    guard case .string(let name) = element else {
                        return .failure(.malformed(line: line, reason: "'forge' must be a string or a list of strings"))
                    }
                    names.append(name)
                }
                forges = names
            case ("forge", _):
                return .failure(.malformed(line: line, reason: "'forge' must be a string or a list of strings"))
            case (_, .string(let text)):
                strings[key] = text
            default:
                return .failure(.malformed(line: line, reason: "'\(key)' must be a string"))
            }
        }
        return request(strings, forges: forges, line: line)
    }

    /// The known field names, for error messages.
    private static let fieldList = ["email", "name", "company", "source", "forge", "idempotency_key"].joined(
        separator: ", ")

    /// A field named in an error: by name when it is one of ours, else without its (file's) text.
    private static func describe(field name: String) -> String {
        fields.contains(name) ? "the field '\(name)'" : "a field"
    }

    private static func request(_ strings: [String: String], forges: [String], line: Int) -> Result<
        ProvisionRequest, BatchError
    > {
        guard let email = strings["email"], !email.isEmpty else {
            return .failure(.malformed(line: line, reason: "'email' is missing"))
        }
        guard let name = strings["name"], !name.isEmpty else {
            return .failure(.malformed(line: line, reason: "'name' is missing"))
        }
        return .success(
            ProvisionRequest(
                email: email, name: name, company: strings["company"].flatMap { $0.isEmpty ? nil : $0 },
                source: strings["source"].flatMap { $0.isEmpty ? nil : $0 }, forges: forges,
                idempotencyKey: strings["idempotency_key"].flatMap { $0.isEmpty ? nil : $0 }))
    }

    /// RFC 4180 CSV with a header row: fields may be quoted, with `""` for a quote, and may then hold
    /// commas and line breaks. `forge` may list several entries separated by spaces or `;`.
    static func parseCSV(_ data: Data) -> [(line: Int, record: Result<ProvisionRequest, BatchError>)] {
        let rows = CSVScanner.rows(of: data)
        guard let header = rows.first else { return [] }
        guard let names = header.fields?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) else {
            return [(header.line, .failure(.malformed(line: header.line, reason: header.error ?? "bad header")))]
        }
        if let unknown = names.firstIndex(where: { !fields.contains($0) }) {
            let reason = "column \(unknown + 1) of the header is not a field; the fields are \(fieldList)"
            return [(header.line, .failure(.malformed(line: header.line, reason: reason)))]
        }
        if let duplicate = names.enumerated().first(where: { names[..<$0.offset].contains($0.element) }) {
            let reason = "\(describe(field: duplicate.element)) appears twice in the header"
            return [(header.line, .failure(.malformed(line: header.line, reason: reason)))]
        }
        return rows.dropFirst().map { row in
            guard let values = row.fields else {
                return (row.line, .failure(.malformed(line: row.line, reason: row.error ?? "bad row")))
            }
            guard values.count == names.count else {
                return (
                    row.line,
                    .failure(
                        .malformed(line: row.line, reason: "expected \(names.count) fields, found \(values.count)"))
                )
            }
            var strings: [String: String] = [:]
            for (name, value) in zip(names, values) { strings[name] = value }
            let forges = (strings["forge"] ?? "").split(whereSeparator: { $0 == ";" || $0 == " " }).map(String.init)
            return (row.line, request(strings, forges: forges, line: row.line))
        }
    }
}

/// Splits RFC 4180 text into rows of fields, each with the line it starts on, or with the reason it
/// is not well-formed (a stray quote, an unclosed quoted field, invalid UTF-8). Blank lines are skipped.
private struct CSVScanner {
    private var rows: [(line: Int, fields: [String]?, error: String?)] = []
    private var field: [UInt8] = []
    private var current: [String] = []
    private var inQuotes = false
    private var afterQuote = false
    private var line = 1
    private var rowLine = 1
    private var rowError: String?

    static func rows(of data: Data) -> [(line: Int, fields: [String]?, error: String?)] {
        var bytes = Array(data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var scanner = CSVScanner()
        var index = 0
        while index < bytes.count {
            let quotedQuote =
                scanner.inQuotes && bytes[index] == UInt8(ascii: "\"") && index + 1 < bytes.count
                && bytes[index + 1] == UInt8(ascii: "\"")
            scanner.take(bytes[index], quotedQuote: quotedQuote)
            index += quotedQuote ? 2 : 1
        }
        if scanner.inQuotes { scanner.rowError = "a quoted field is not closed" }
        scanner.endRow()
        return scanner.rows
    }

    /// One byte; `quotedQuote` when it is the first of a `""` inside quotes (one quote in the field).
    private mutating func take(_ byte: UInt8, quotedQuote: Bool) {
        if inQuotes {
            if quotedQuote {
                field.append(byte)
            } else if byte == UInt8(ascii: "\"") {
                inQuotes = false
                afterQuote = true
            } else {
                if byte == UInt8(ascii: "\n") { line += 1 }
                field.append(byte)
            }
        } else if byte == UInt8(ascii: ",") {
            endField()
        } else if byte == UInt8(ascii: "\n") {
            line += 1
            endRow()
        } else if byte == UInt8(ascii: "\r") {
            // part of a CRLF line break
        } else if byte == UInt8(ascii: "\"") && field.isEmpty && !afterQuote {
            inQuotes = true
        } else {
            if afterQuote || byte == UInt8(ascii: "\"") {
                rowError = rowError ?? "a quote inside an unquoted field"
            }
            field.append(byte)
        }
    }

    private mutating func endField() {
        if let text = String(validating: field, as: UTF8.self) {
            current.append(text)
        } else {
            current.append("")
            rowError = rowError ?? "not valid UTF-8"
        }
        field.removeAll(keepingCapacity: true)
        afterQuote = false
    }

    private mutating func endRow() {
        endField()
        if !(current.count == 1 && current[0].isEmpty && rowError == nil) {
            rows.append((rowLine, rowError == nil ? current : nil, rowError))
        }
        current.removeAll(keepingCapacity: true)
        rowError = nil
        rowLine = line
    }
}
