import CPQ
import Foundation

/// A PostgreSQL database named by a connection URI (libpq's syntax) and the schema holding custctl's
/// tables. What the URI leaves out comes from libpq's own settings: PG* variables, service files and
/// `.pgpass`.
public struct PostgreSQLTarget: Sendable, Equatable {
    /// The URI as given, passed to libpq unchanged.
    let conninfo: String
    /// The schema holding custctl's tables (`public` unless `--schema` says otherwise).
    public let schema: String

    /// True when `text` names a PostgreSQL database rather than an SQLite file.
    public static func isURI(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// A target, or `StoreError.unusable` when libpq cannot parse the URI or the schema name is empty.
    public init(uri: String, schema: String = "public") throws {
        _ = try LibPQ.loaded.get()
        conninfo = uri
        self.schema = schema
        if schema.isEmpty || schema.utf8.count > 63 {
            throw StoreError.unusable(
                path: Self.redact(uri), reason: "the schema name must have 1 to 63 bytes, not '\(schema)'")
        }
        _ = try options()
    }

    /// True when the URI itself carries a password (refused in argv: it would show in `ps`).
    public var hasPassword: Bool { password != nil }

    /// The URI's password, if it has one (for programs such as pg_dump, through their environment).
    var password: String? { (try? options()["password"]).flatMap { $0 } }

    /// The connection options without the password, as a `key='value'` string for other programs.
    var conninfoWithoutPassword: String {
        let options = (try? options()) ?? [:]
        return options.sorted { $0.key < $1.key }.compactMap { key, value -> String? in
            guard let value, key != "password" else { return nil }
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            return "\(key)='\(escaped)'"
        }.joined(separator: " ")
    }

    /// How the database is named in messages: the URI without its password, and the schema.
    public var displayName: String {
        Self.redact(conninfo) + (schema == "public" ? "" : " (schema \(schema))")
    }

    /// Seconds to wait for the server: the URI's `connect_timeout`, else `PGCONNECT_TIMEOUT`, else 10.
    var connectTimeout: TimeInterval {
        let given =
            ((try? options()["connect_timeout"]).flatMap { $0 })
            ?? ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"]
        guard let given, let seconds = TimeInterval(given), seconds > 0 else { return 10 }
        return seconds
    }

    /// libpq's `options` (server settings at connection) with `settings` added to what the URI's
    /// `options`, else `PGOPTIONS`, already holds.
    func sessionOptions(_ settings: [String: String]) -> String {
        let given = ((try? options()["options"]).flatMap { $0 }) ?? ProcessInfo.processInfo.environment["PGOPTIONS"]
        let added = settings.sorted { $0.key < $1.key }.map { "-c \($0.key)=\($0.value)" }
        return ([given].compactMap { $0 } + added).joined(separator: " ")
    }

    /// The URI's options as libpq reads them (unset ones are nil).
    private func options() throws -> [String: String?] {
        var error: UnsafeMutablePointer<CChar>?
        guard let parsed = pq.conninfoParse(conninfo, &error) else {
            let message = error.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
            if let error { pq.freemem(error) }
            throw StoreError.unusable(
                path: Self.redact(conninfo), reason: "not a valid connection URI: \(message ?? "out of memory")")
        }
        defer { pq.conninfoFree(parsed) }
        var options: [String: String?] = [:]
        var option = parsed
        while let keyword = option.pointee.keyword {
            options[String(cString: keyword)] = option.pointee.val.map { String(cString: $0) }
            option += 1
        }
        return options
    }

    /// The URI with any password (in the user part or a `password=` parameter) replaced by `***`.
    static func redact(_ uri: String) -> String {
        var text = uri
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@"),
                let colon = rest[..<at].firstIndex(of: ":")
            {
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
            }
        }
        if let query = text.firstIndex(of: "?") {
            let parameters = text[text.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false)
            let shown = parameters.map { $0.hasPrefix("password=") ? "password=***" : String($0) }
            text = String(text[...query]) + shown.joined(separator: "&")
        }
        return text
    }
}
