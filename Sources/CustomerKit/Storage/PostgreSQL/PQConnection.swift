import CPQ
import Foundation

/// A failure libpq or the server reported: the SQLSTATE when there is one, and the messages.
struct PQError: Error, CustomStringConvertible {
    /// The five-character SQLSTATE (`23505`), or nil for a failure without one (no server reached).
    var sqlState: String?
    var message: String
    var detail: String? = nil
    /// The constraint a violation names (`customers_email_normalized_key`).
    var constraint: String? = nil

    var description: String { message }
}

/// One connection to a PostgreSQL server over libpq, used synchronously: statements with text
/// parameters and binary results, each statement prepared on its second use. Not thread-safe: one
/// command uses it from one thread.
final class PQConnection {
    private let handle: OpaquePointer
    private let notices: NoticeSink
    /// Statements prepared on this connection, by SQL text.
    private var prepared: [String: String] = [:]
    /// SQL texts run once, which are prepared when they come again.
    private var seenOnce: Set<String> = []

    private init(handle: OpaquePointer, notices: NoticeSink) {
        self.handle = handle
        self.notices = notices
    }

    deinit { pq.finish(handle) }

    /// Connects with libpq's own rules: `conninfo` is a URI or `key=value` string, completed by the
    /// PG* variables, service files and `.pgpass`. Errors keep the server's SQLSTATE (read from the
    /// verbose message, which is the only place libpq gives it for a failed connection).
    static func connect(
        _ conninfo: String, options: String, timeout: TimeInterval, notice: @escaping (String) -> Void
    ) throws -> PQConnection {
        let keywords = ["dbname", "options", "fallback_application_name"]
        let values = [conninfo, options, "custctl"]
        let started: OpaquePointer? = withCStrings(keywords) { keys in
            withCStrings(values) { vals in pq.connectStartParams(keys, vals, 1) }
        }
        guard let handle = started else { throw PQError(sqlState: nil, message: "out of memory") }
        let sink = NoticeSink(notice)
        let connection = PQConnection(handle: handle, notices: sink)
        pq.setErrorVerbosity(handle, PQERRORS_VERBOSE)
        pq.setNoticeProcessor(
            handle,
            { context, message in
                guard let context, let message else { return }
                Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue().receive(String(cString: message))
            }, Unmanaged.passUnretained(sink).toOpaque())
        if pq.status(handle) == CONNECTION_BAD { throw connection.connectionError() }
        let deadline = Date().addingTimeInterval(timeout)
        var state = PGRES_POLLING_WRITING
        while state != PGRES_POLLING_OK {
            if state == PGRES_POLLING_FAILED { throw connection.connectionError() }
            var descriptor = pollfd(
                fd: pq.socket(handle), events: Int16(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), revents: 0)
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            let ready = poll(&descriptor, 1, remaining)
            if ready == 0 {
                throw PQError(sqlState: nil, message: "timed out after \(Int(timeout)) s connecting to the server")
            }
            if ready < 0, errno != EINTR {
                throw PQError(sqlState: nil, message: String(cString: strerror(errno)))
            }
            state = pq.connectPoll(handle)
        }
        pq.setErrorVerbosity(handle, PQERRORS_DEFAULT)
        return connection
    }

    /// The error of a failed connection attempt. With `sslmode=prefer` libpq tries twice and reports
    /// both attempts: the first server error is reported once.
    private func connectionError() -> PQError {
        let text = pqText(pq.errorMessage(handle))
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for line in lines {
            for severity in ["FATAL:  ", "ERROR:  "] {
                guard let range = line.range(of: severity) else { continue }
                let rest = line[range.upperBound...]
                let code = rest.prefix(5)
                if code.count == 5, rest.dropFirst(5).hasPrefix(": "),
                    code.allSatisfy({ $0.isNumber || ($0.isUppercase && $0.isASCII) })
                {
                    return PQError(sqlState: String(code), message: String(rest.dropFirst(7)))
                }
                return PQError(sqlState: nil, message: String(rest))
            }
        }
        let first = lines.first { !$0.isEmpty && !$0.hasPrefix("LOCATION:") } ?? "connection failed"
        let hint = lines.first { $0.hasPrefix("Is the server running") }
        return PQError(sqlState: nil, message: first + (hint.map { " (\($0))" } ?? ""))
    }

    // MARK: - Statements

    /// Runs one or more statements without parameters (`BEGIN`, DDL); the last result is returned in
    /// text form.
    @discardableResult
    func run(_ sql: String) throws -> PQResult {
        try check(pq.exec(handle, sql))
    }

    /// Runs one statement with text parameters (nil is NULL), returning rows in binary form.
    @discardableResult
    func query(_ sql: String, _ parameters: [(any PQParameter)?] = []) throws -> PQResult {
        let texts = parameters.map { $0?.pqText }
        return try withOptionalCStrings(texts) { values in
            let count = Int32(texts.count)
            if let name = prepared[sql] {
                return try check(pq.execPrepared(handle, name, count, values, nil, nil, 1))
            }
            if seenOnce.contains(sql) {
                let name = "s\(prepared.count)"
                try check(pq.prepare(handle, name, sql, count, nil))
                prepared[sql] = name
                return try check(pq.execPrepared(handle, name, count, values, nil, nil, 1))
            }
            seenOnce.insert(sql)
            return try check(pq.execParams(handle, sql, count, nil, values, nil, nil, 1))
        }
    }

    private func check(_ raw: OpaquePointer?) throws -> PQResult {
        guard let raw else { throw lastError() }
        let result = PQResult(raw)
        let status = pq.resultStatus(raw)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY { return result }
        throw result.error()
    }

    private func lastError() -> PQError {
        PQError(
            sqlState: nil,
            message: pqText(pq.errorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// True inside a transaction block (also one that failed and awaits ROLLBACK).
    var inTransaction: Bool { pq.transactionStatus(handle) != PQTRANS_IDLE }

    /// The database connected to.
    var databaseName: String { pq.db(handle).map { String(cString: $0) } ?? "postgres" }

}

/// Where notices (and warnings) of the server go: `--verbose` output, never stderr by default.
private final class NoticeSink {
    let receive: (String) -> Void
    init(_ receive: @escaping (String) -> Void) {
        self.receive = { receive($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}

/// A value sent as a statement parameter, in PostgreSQL's text input form.
protocol PQParameter {
    var pqText: String { get }
}

extension String: PQParameter {
    var pqText: String { self }
}

extension Int64: PQParameter {
    var pqText: String { String(self) }
}

extension Int: PQParameter {
    var pqText: String { String(self) }
}

extension Bool: PQParameter {
    var pqText: String { self ? "t" : "f" }
}

extension Date: PQParameter {
    /// ISO 8601 in UTC with milliseconds, which `timestamptz` reads exactly.
    var pqText: String { Timestamp.string(from: self) }
}

extension JSONValue: PQParameter {
    var pqText: String { serialized }
}

/// A PostgreSQL array in its text form (`{"a","b",NULL}`), for `unnest($1::text[])`: one parameter
/// carries a column of many rows.
struct PQArray: PQParameter {
    let elements: [String?]

    /// The elements' text forms (nil stays NULL).
    init<T: PQParameter>(_ values: [T?]) { self.elements = values.map { $0?.pqText } }

    /// Built as UTF-8 bytes: only `\` and `"` are escaped, and they are ASCII.
    var pqText: String {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(elements.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            guard let element else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The result of one statement; rows are read in binary form by the column's type.
final class PQResult {
    let raw: OpaquePointer

    init(_ raw: OpaquePointer) { self.raw = raw }

    deinit { pq.clear(raw) }

    var count: Int { Int(pq.ntuples(raw)) }

    var columns: Int { Int(pq.nfields(raw)) }

    /// Rows changed by an INSERT, UPDATE or DELETE.
    var affected: Int { Int(pqText(pq.cmdTuples(raw))) ?? 0 }

    var rows: [PQRow] { (0..<count).map { PQRow(result: self, index: Int32($0)) } }

    var first: PQRow? { count > 0 ? PQRow(result: self, index: 0) : nil }

    fileprivate func error() -> PQError {
        func field(_ code: UInt8) -> String? {
            guard let value = pq.resultErrorField(raw, Int32(code)) else { return nil }
            return String(cString: value)
        }
        let message =
            field(UInt8(ascii: "M"))
            ?? pqText(pq.resultErrorMessage(raw)).trimmingCharacters(in: .whitespacesAndNewlines)
        return PQError(
            sqlState: field(UInt8(ascii: "C")), message: message, detail: field(UInt8(ascii: "D")),
            constraint: field(UInt8(ascii: "n")))
    }
}

/// One row of a result. The accessors decode PostgreSQL's binary forms; a type they do not read is an
/// invariant failure (cast it in SQL).
struct PQRow {
    let result: PQResult
    let index: Int32

    func isNull(_ column: Int) -> Bool { pq.getisnull(result.raw, index, Int32(column)) == 1 }

    private func bytes(_ column: Int) -> UnsafeRawBufferPointer {
        let length = Int(pq.getlength(result.raw, index, Int32(column)))
        guard let start = pq.getvalue(result.raw, index, Int32(column)) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: start, count: length)
    }

    private func type(_ column: Int) -> UInt32 { pq.ftype(result.raw, Int32(column)) }

    private func bigEndian<T: FixedWidthInteger>(_ column: Int, as: T.Type) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) {
            $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes(column).prefix(MemoryLayout<T>.size)))
        }
        return T(bigEndian: value)
    }

    func int64(_ column: Int) throws -> Int64 {
        switch type(column) {
        case PQType.int8: return bigEndian(column, as: Int64.self)
        case PQType.int4: return Int64(bigEndian(column, as: Int32.self))
        case PQType.int2: return Int64(bigEndian(column, as: Int16.self))
        case PQType.oid: return Int64(bigEndian(column, as: UInt32.self))
        default: throw InvariantError("column \(column) of type \(type(column)) read as an integer")
        }
    }

    func optionalInt64(_ column: Int) throws -> Int64? { isNull(column) ? nil : try int64(column) }

    func int(_ column: Int) throws -> Int { Int(try int64(column)) }

    func bool(_ column: Int) throws -> Bool {
        guard type(column) == PQType.bool else { throw InvariantError("column \(column) read as a boolean") }
        return bytes(column).first == 1
    }

    /// Text, varchar, name and JSON columns as text (jsonb without its version byte).
    func string(_ column: Int) throws -> String {
        let raw = bytes(column)
        switch type(column) {
        case PQType.jsonb: return String(decoding: raw.dropFirst(), as: UTF8.self)
        case PQType.text, PQType.varchar, PQType.name, PQType.bpchar, PQType.json, PQType.unknown:
            return String(decoding: raw, as: UTF8.self)
        default: throw InvariantError("column \(column) of type \(type(column)) read as text")
        }
    }

    func optionalString(_ column: Int) throws -> String? { isNull(column) ? nil : try string(column) }

    /// A `timestamptz` (or `timestamp`, read as UTC): microseconds since 2000-01-01.
    func date(_ column: Int) throws -> Date {
        guard type(column) == PQType.timestamptz || type(column) == PQType.timestamp else {
            throw InvariantError("column \(column) of type \(type(column)) read as a timestamp")
        }
        let micros = bigEndian(column, as: Int64.self)
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        return Timestamp.instant(
            seconds: 946_684_800 + seconds, nanoseconds: Int(micros - seconds * 1_000_000) * 1000)
    }

    func optionalDate(_ column: Int) throws -> Date? { isNull(column) ? nil : try date(column) }
}

/// The type OIDs the row accessors read (from PostgreSQL's pg_type.dat).
enum PQType {
    static let bool: UInt32 = 16
    static let name: UInt32 = 19
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let oid: UInt32 = 26
    static let json: UInt32 = 114
    static let unknown: UInt32 = 705
    static let bpchar: UInt32 = 1042
    static let varchar: UInt32 = 1043
    static let timestamp: UInt32 = 1114
    static let timestamptz: UInt32 = 1184
    static let jsonb: UInt32 = 3802
}

/// Calls `body` with a C array of C strings that live for the call.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> T) rethrows
    -> T
{
    try withOptionalCStrings(strings + [nil]) { try body($0) }
}

private func withOptionalCStrings<T>(
    _ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> T
) rethrows -> T {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return try pointers.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else {
            var none: UnsafePointer<CChar>? = nil
            return try body(&none)
        }
        return try body(base)
    }
}

extension PQRow {
    /// An instant column (the models carry `Date`).
    func instant(_ column: Int) throws -> Date { try date(column) }

    func optionalInstant(_ column: Int) throws -> Date? { try optionalDate(column) }

    /// A JSON column, parsed; text that is not JSON is a database changed behind custctl's back.
    func json(_ column: Int) throws -> JSONValue {
        do {
            return try JSONValue(parsing: try string(column))
        } catch let error as InvariantError {
            throw error
        } catch {
            throw InvariantError("column \(column) holds text that is not JSON (\(error))")
        }
    }

    /// A text column holding an enumeration's raw value; another value is an invariant failure.
    func enumeration<T: RawRepresentable>(_ column: Int) throws -> T where T.RawValue == String {
        let text = try string(column)
        guard let value = T(rawValue: text) else {
            throw InvariantError("unexpected value '\(text)' in column \(column)")
        }
        return value
    }
}
