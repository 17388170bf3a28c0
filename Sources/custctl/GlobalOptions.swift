import ArgumentParser
import CustomerKit
import Foundation

/// Options every command takes, before or after the subcommand name.
struct GlobalOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The SQLite database file, or a postgresql:// URI (default: $CUSTCTL_DATABASE, else ./custctl.db).",
            valueName: "path-or-uri"))
    var database: String?

    @Option(
        help: ArgumentHelp(
            "The PostgreSQL schema of custctl's tables (default: $CUSTCTL_SCHEMA, else public).", valueName: "name"))
    var schema: String?

    @Option(
        help: ArgumentHelp(
            "Seconds to wait for another process's lock (default: $CUSTCTL_BUSY_TIMEOUT, else 5).", valueName: "seconds"
        ))
    var busyTimeout: Double?

    @Flag(help: "Print machine output: one JSON object, or JSON Lines for lists.")
    var json = false

    @Flag(help: "Print only errors (and a secret that cannot be shown again, such as a new API key).")
    var quiet = false

    @Flag(help: "Print extra diagnostics on standard error.")
    var verbose = false

    /// Options that take a value, for moving them behind the subcommand name.
    static let valued: Set<String> = ["--database", "--schema", "--busy-timeout"]
    /// Flags, for the same.
    static let flags: Set<String> = ["--json", "--quiet", "--verbose"]

    /// Moves global options to the end of the arguments (before any `--`), wherever they were written,
    /// so that `custctl --database x.db credits balance E` and `custctl credits --json balance E` parse
    /// like `custctl credits balance E --database x.db --json`: only the last command declares them.
    static func hoist(_ arguments: [String]) -> [String] {
        var hoisted: [String] = []
        var rest: [String] = []
        var index = 0
        while index < arguments.count {
            let token = arguments[index]
            if token == "--" {
                rest.append(contentsOf: arguments[index...])
                break
            }
            let name = token.firstIndex(of: "=").map { String(token[..<$0]) } ?? token
            if flags.contains(token) || (valued.contains(name) && token.contains("=")) {
                hoisted.append(token)
                index += 1
            } else if valued.contains(token), index + 1 < arguments.count {
                hoisted.append(contentsOf: arguments[index...index + 1])
                index += 2
            } else {
                rest.append(token)
                index += 1
            }
        }
        guard !hoisted.isEmpty else { return arguments }
        let insertAt = rest.firstIndex(of: "--") ?? rest.endIndex
        rest.insert(contentsOf: hoisted, at: insertAt)
        return rest
    }

    /// The values parsed, for opening the store and choosing the output.
    var settings: GlobalSettings {
        GlobalSettings(
            database: database, schema: schema, busyTimeout: busyTimeout, json: json, quiet: quiet, verbose: verbose)
    }

    /// The database path: the flag, else `CUSTCTL_DATABASE`, else `custctl.db` here.
    func databasePath() -> String { settings.databasePath() }

    /// Opens the database for an ordinary command (see `GlobalSettings.openStore`).
    func openStore(_ use: DatabaseUse = .changes) throws -> Store { try settings.openStore(use) }

    /// Opens the database as it is, for `migrate` and `doctor`.
    func openStoreForMaintenance(_ use: DatabaseUse = .changes) throws -> Store {
        try settings.openStoreForMaintenance(use)
    }

    /// Where this command's output goes.
    var output: Output { Output(json: json, quiet: quiet, verbose: verbose) }
}

/// The global options' values, however they were parsed (by ArgumentParser, or by the fast path of
/// the hot read commands), and what follows from them.
struct GlobalSettings {
    var database: String?
    var schema: String?
    var busyTimeout: Double?
    var json = false
    var quiet = false
    var verbose = false

    /// The database path: the flag, else `CUSTCTL_DATABASE`, else `custctl.db` here.
    func databasePath(environment: ProcessEnvironment = Settings.environment) -> String {
        if let database { return database }
        if let fromEnvironment = environment["CUSTCTL_DATABASE"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "custctl.db"
    }

    /// The longest busy timeout accepted, in seconds (one day): SQLite takes milliseconds in a 32-bit int.
    static let maximumBusyTimeout: Double = 86_400

    /// Store options from flags and environment.
    func storeOptions(environment: ProcessEnvironment = Settings.environment) throws -> StoreOptions {
        var timeout = 5.0
        if let busyTimeout {
            guard busyTimeout >= 0, busyTimeout <= Self.maximumBusyTimeout else {
                throw ValidationError("--busy-timeout must be a number of seconds from 0 to 86400")
            }
            timeout = busyTimeout
        } else if let value = try Settings.busyTimeout(environment) {
            timeout = value
        }
        let output = self.output
        return StoreOptions(
            busyTimeout: timeout, schema: schemaName(environment: environment),
            notice: { output.debug("server: " + $0) })
    }

    /// The PostgreSQL schema: the flag, else `CUSTCTL_SCHEMA`, else `public`.
    func schemaName(environment: ProcessEnvironment = Settings.environment) -> String {
        if let schema { return schema }
        if let fromEnvironment = environment["CUSTCTL_SCHEMA"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "public"
    }

    /// Refuses a PostgreSQL URI with a password in argv, where every user's `ps` shows it (SPEC 8).
    func refusePasswordInArguments() throws {
        guard let database, PostgreSQLTarget.isURI(database),
            try PostgreSQLTarget(uri: database, schema: schemaName()).hasPassword
        else { return }
        throw ConfigurationError.passwordInArguments
    }

    /// Opens the database for an ordinary command: one that changes data creates and migrates a
    /// missing file (and says so); one that only `reads` refuses it (66).
    func openStore(_ use: DatabaseUse = .changes) throws -> Store {
        try open(use) { try Store.open(path: $0, options: $1, creating: $2) }
    }

    /// Opens the database as it is, for `migrate` and `doctor`.
    func openStoreForMaintenance(_ use: DatabaseUse = .changes) throws -> Store {
        try open(use) { try Store.openForMaintenance(path: $0, options: $1, creating: $2) }
    }

    /// The stores read commands opened (one command per process, on the main thread).
    nonisolated(unsafe) private static var openForReads: [Store] = []

    private func open(_ use: DatabaseUse, _ body: (String, StoreOptions, Bool) throws -> Store) throws -> Store {
        try refusePasswordInArguments()
        let path = databasePath()
        let isFile = !PostgreSQLTarget.isURI(path)
        let existed = isFile && access(path, F_OK) == 0
        let store = try body(path, storeOptions(), use == .changes)
        // A read command's database stays open until the process exits (right after the output):
        // closing it is a connection teardown with nothing to write (8% of a balance read).
        if use == .reads { Self.openForReads.append(store) }
        output.debug("database: \(store.path ?? path)")
        if isFile ? !existed : store.created { output.note("created new database \(store.path ?? path)") }
        return store
    }

    /// Where this command's output goes.
    var output: Output { Output(json: json, quiet: quiet, verbose: verbose) }
}

/// A bad value in the environment: a usage error like the same bad value in a flag (SPEC 5.8).
enum ConfigurationError: DomainError, Equatable {
    case invalidEnvironment(name: String, value: String, expected: String)
    /// A PostgreSQL URI with a password given in argv.
    case passwordInArguments
    /// The same in another option naming a database (`copy --to`).
    case passwordInOption(String)

    var kind: FailureKind { .usage }
    var code: String {
        switch self {
        case .invalidEnvironment: return "invalid_configuration"
        case .passwordInArguments, .passwordInOption: return "password_in_arguments"
        }
    }
    var description: String {
        switch self {
        case let .invalidEnvironment(name, value, expected):
            return "\(name)='\(value)' is not valid: expected \(expected)"
        case .passwordInArguments:
            return "--database must not carry a password (any user's 'ps' shows it); "
                + "use PGPASSWORD, ~/.pgpass or CUSTCTL_DATABASE instead"
        case .passwordInOption(let option):
            return "\(option) must not carry a password (any user's 'ps' shows it); use PGPASSWORD or ~/.pgpass instead"
        }
    }
}

/// Whether a command changes data (a missing database is created) or only reads it (refused, 66).
enum DatabaseUse {
    case changes, reads
}
