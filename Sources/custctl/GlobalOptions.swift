import ArgumentParser
import CustomerKit
import Foundation

/// Options every command takes, before or after the subcommand name.
struct GlobalOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The SQLite database file (default: $CUSTCTL_DATABASE, else ./custctl.db).", valueName: "path"))
    var database: String?

    @Option(
        help: ArgumentHelp(
            "Seconds to wait for another process's lock (default: $CUSTCTL_BUSY_TIMEOUT, else 5).", valueName: "seconds"
        ))
    var busyTimeout: Double?

    @Flag(help: "Print machine output: one JSON object, or JSON Lines for lists.")
    var json = false

    @Flag(help: "Print only data and errors.")
    var quiet = false

    @Flag(help: "Print extra diagnostics on standard error.")
    var verbose = false

    /// Options that take a value, for moving them behind the subcommand name.
    static let valued: Set<String> = ["--database", "--busy-timeout"]
    /// Flags, for the same.
    static let flags: Set<String> = ["--json", "--quiet", "--verbose"]

    /// Moves global options written before the subcommand name to its end, so that
    /// `custctl --database x.db credits balance E` parses like `custctl credits balance E --database x.db`.
    static func hoist(_ arguments: [String]) -> [String] {
        var hoisted: [String] = []
        var index = 0
        while index < arguments.count {
            let token = arguments[index]
            let name = token.split(separator: "=", maxSplits: 1).first.map(String.init) ?? token
            if flags.contains(token) || (valued.contains(name) && token.contains("=")) {
                hoisted.append(token)
                index += 1
            } else if valued.contains(token), index + 1 < arguments.count {
                hoisted.append(contentsOf: arguments[index...index + 1])
                index += 2
            } else {
                break
            }
        }
        guard !hoisted.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        let insertAt = rest.firstIndex(of: "--") ?? rest.endIndex
        rest.insert(contentsOf: hoisted, at: insertAt)
        return rest
    }

    /// The database path: the flag, else `CUSTCTL_DATABASE`, else `custctl.db` here.
    func databasePath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let database { return database }
        if let fromEnvironment = environment["CUSTCTL_DATABASE"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "custctl.db"
    }

    /// Store options from flags and environment.
    func storeOptions(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreOptions {
        var timeout = 5.0
        if let busyTimeout {
            guard busyTimeout >= 0, busyTimeout.isFinite else {
                throw ValidationError("--busy-timeout must be a number of seconds, 0 or more")
            }
            timeout = busyTimeout
        } else if let text = environment["CUSTCTL_BUSY_TIMEOUT"], !text.isEmpty {
            guard let value = Double(text), value >= 0, value.isFinite else {
                throw ConfigurationError.invalidEnvironment(
                    name: "CUSTCTL_BUSY_TIMEOUT", value: text, expected: "a number of seconds, 0 or more")
            }
            timeout = value
        }
        return StoreOptions(busyTimeout: timeout)
    }

    /// Opens the database for an ordinary command (created and migrated when new).
    func openStore() throws -> Store {
        let path = databasePath()
        output.debug("database: \(path)")
        return try Store.open(path: path, options: storeOptions())
    }

    /// Opens the database as it is, for `migrate`.
    func openStoreForMaintenance() throws -> Store {
        let path = databasePath()
        output.debug("database: \(path)")
        return try Store.openForMaintenance(path: path, options: storeOptions())
    }

    /// Where this command's output goes.
    var output: Output { Output(json: json, quiet: quiet, verbose: verbose) }
}

/// A bad value in the environment.
enum ConfigurationError: DomainError, Equatable {
    case invalidEnvironment(name: String, value: String, expected: String)

    var kind: FailureKind { .configuration }
    var code: String { "invalid_configuration" }
    var description: String {
        switch self {
        case let .invalidEnvironment(name, value, expected):
            return "\(name)='\(value)' is not valid: expected \(expected)"
        }
    }
}
