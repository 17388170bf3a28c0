import Foundation

/// Failures of the database itself, before any business rule is involved.
public enum StoreError: DomainError, Equatable {
    /// A command that only reads was pointed at a file that does not exist.
    case notFound(path: String)
    /// An existing empty file that belongs to another user or is open to others: not adopted.
    case untrustedEmptyFile(path: String, problem: EmptyFileProblem)
    /// The file cannot be opened or used (not SQLite, corrupt, I/O error, permissions).
    case unusable(path: String, reason: String)
    /// The database stayed locked by another process past the busy timeout.
    case busy(seconds: Double)
    /// The database has migrations this binary has not applied yet.
    case migrationsPending([String])
    /// The database was migrated by a newer custctl (names this binary does not know).
    case newerSchema([String])
    /// The database still has the pre-consolidation (legacy) layout.
    case legacyLayout
    /// The file holds another application's tables and none of custctl's.
    case foreignDatabase(tables: [String])
    /// A destructive operation was asked of a database marked production.
    case productionRefused(operation: String)
    /// SQLite reported something unexpected.
    case sqlite(String)
    /// The PostgreSQL server cannot be reached (down, no such socket or host).
    case unreachable(target: String, reason: String)
    /// The PostgreSQL server refused the role's credentials.
    case authenticationFailed(target: String, reason: String)
    /// PostgreSQL reported something unexpected (with its SQLSTATE).
    case postgresql(state: String, message: String)

    public var kind: FailureKind {
        switch self {
        case .notFound: return .inputUnreadable
        case .untrustedEmptyFile: return .authenticationFailed
        case .unusable: return .databaseUnusable
        case .busy: return .tryLater
        case .migrationsPending, .newerSchema, .legacyLayout, .foreignDatabase, .productionRefused:
            return .configuration
        case .sqlite, .postgresql: return .other
        case .unreachable: return .unavailable
        case .authenticationFailed: return .authenticationFailed
        }
    }

    public var code: String {
        switch self {
        case .notFound: return "database_not_found"
        case .untrustedEmptyFile: return "untrusted_database_file"
        case .unusable: return "database_unusable"
        case .busy: return "database_busy"
        case .migrationsPending: return "migrations_pending"
        case .newerSchema: return "database_newer"
        case .legacyLayout: return "legacy_layout"
        case .foreignDatabase: return "foreign_database"
        case .productionRefused: return "production_database"
        case .sqlite, .postgresql: return "database_error"
        case .unreachable: return "database_unreachable"
        case .authenticationFailed: return "database_auth_failed"
        }
    }

    public var description: String {
        switch self {
        case let .notFound(path):
            return "no database at \(path); check --database or CUSTCTL_DATABASE "
                + "(commands that change data, and 'custctl migrate', create a new one)"
        case let .untrustedEmptyFile(path, .otherOwner):
            return "\(path) is an empty file that belongs to another user; custctl will not keep secrets in it: "
                + "remove it, or if it is yours run 'chown $(id -un) \(path)' and 'chmod 600 \(path)'"
        case let .untrustedEmptyFile(path, .openMode(mode)):
            return "\(path) is an empty file with mode \(String(mode, radix: 8)), open to other users; "
                + "run 'chmod 600 \(path)' first"
        case let .unusable(path, reason):
            return "cannot use database \(path): \(reason)"
        case let .busy(seconds):
            return "database is busy (locked by another process for more than \(Self.format(seconds)) s); "
                + "try again, or raise --busy-timeout"
        case let .migrationsPending(names):
            return "database has \(names.count) pending migration(s) (\(names.joined(separator: ", "))); "
                + "run 'custctl migrate' first"
        case let .newerSchema(names):
            return "database was migrated by a newer custctl (unknown migrations: \(names.joined(separator: ", "))); "
                + "upgrade custctl"
        case .legacyLayout:
            return "database has the legacy (pre-consolidation) layout; run 'custctl migrate' to consolidate it "
                + "(a backup is written first)"
        case let .foreignDatabase(tables):
            let shown = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", ..." : "")
            return "database holds another application's tables (\(shown)) and no custctl tables; "
                + "refusing to add custctl's schema to it: give custctl a file of its own with --database"
        case let .productionRefused(operation):
            return "refusing to \(operation) on a database marked production; "
                + "mark it otherwise with 'custctl migrate --mark staging' if you really mean it"
        case let .sqlite(message):
            return "database error: \(message)"
        case let .unreachable(target, reason):
            return "cannot reach the database server for \(target): \(reason)"
        case let .authenticationFailed(target, reason):
            return "the database server refused the login for \(target): \(reason); "
                + "check the user, PGPASSWORD or ~/.pgpass"
        case let .postgresql(state, message):
            return "database error: \(message) (SQLSTATE \(state))"
        }
    }

    public var details: [(String, JSONValue)] {
        switch self {
        case let .migrationsPending(names), let .newerSchema(names):
            return [("migrations", .array(names.map(JSONValue.string)))]
        case let .foreignDatabase(tables):
            return [("tables", .array(tables.map(JSONValue.string)))]
        default:
            return []
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// Why an existing empty file is not adopted as a database.
public enum EmptyFileProblem: Sendable, Equatable {
    /// It belongs to another user.
    case otherOwner
    /// Group or others may read or write it (the mode bits).
    case openMode(mode_t)
}
