import Foundation
import Testing

/// The backends the end-to-end suites run against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql

    var testDescription: String { rawValue }
}

/// A throwaway PostgreSQL server for the tests, started once per test process on first use: `initdb`
/// into a short temporary folder (as the `postgres` user when run as root), a Unix socket only (no
/// port to collide), `fsync=off`; stopped with `-m immediate` and removed when the process exits,
/// also when tests fail. A suite that needs it and cannot start it fails; it never skips.
final class PostgresServer: Sendable {
    /// The server of this test process.
    static func shared() throws -> PostgresServer {
        try started.get()
    }

    private static let started: Result<PostgresServer, Error> = Result { try PostgresServer() }

    /// The folder holding the data and the socket.
    let directory: String
    let binaries: String
    let asPostgresUser: Bool

    private init() throws {
        binaries = try Self.output("/usr/bin/pg_config", ["--bindir"]).trimmingCharacters(in: .whitespacesAndNewlines)
        asPostgresUser = geteuid() == 0
        var template = Array("/tmp/cpg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ServerError.failed("mkdtemp: \(errno)") }
        directory = String(cString: made)
        if asPostgresUser {
            _ = try Self.output("/bin/chown", ["postgres", directory])
        }
        try run(
            "initdb",
            ["-D", "\(directory)/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N"])
        // One role logs in with a password (the rest trust the socket), for the authentication tests.
        let hba = "\(directory)/data/pg_hba.conf"
        let trusted = try String(contentsOfFile: hba, encoding: .utf8)
        try ("local all \(Self.passwordRole) scram-sha-256\n" + trusted).write(
            toFile: hba, atomically: false, encoding: .utf8)
        Self.cleanUpAtExit(directory: directory, pgCtl: "\(binaries)/pg_ctl", asPostgresUser: asPostgresUser)
        try startServer([
            "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-o",
            "-k \(directory) -c listen_addresses='' -p 5432 -c fsync=off -c synchronous_commit=off "
                + "-c full_page_writes=off -c max_connections=300",
            "start",
        ])
        _ = try psql(
            database: "postgres",
            "CREATE ROLE \(Self.passwordRole) LOGIN SUPERUSER PASSWORD '\(Self.passwordRolePassword)'")
    }

    /// The role that must give a password (`passwordRolePassword`).
    static let passwordRole = "custctl_pw"
    static let passwordRolePassword = "Right-Horse-Battery"

    /// Runs `pg_ctl ARGS` (start) with every descriptor above 2 closed, waiting for it with `waitpid`. Not with
    /// Foundation's `Process`: on Linux it learns that a child exited when the child's end of a socket pair
    /// closes, and the server `pg_ctl` leaves running inherited that end, so `waitUntilExit` never returned.
    private func startServer(_ arguments: [String]) throws {
        let pgCtl = "\(binaries)/pg_ctl"
        let program = asPostgresUser ? "/usr/sbin/runuser" : pgCtl
        let argv = (asPostgresUser ? ["runuser", "-u", "postgres", "--", pgCtl] : [pgCtl]) + arguments
        let log = "\(directory)/pg_ctl.out"
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else {
            throw ServerError.failed("posix_spawn_file_actions_addclosefrom_np is missing (glibc 2.34 or later)")
        }
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw ServerError.failed("posix_spawn \(program): \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw ServerError.failed("pg_ctl start failed (wait status \(status)): \(output)")
        }
    }

    /// A new empty database; returns its URI.
    func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        _ = try psql(database: "postgres", "CREATE DATABASE \(name)")
        return uri(name)
    }

    /// The URI of database `name` on this server.
    func uri(_ name: String) -> String { "postgresql:///\(name)?host=\(directory)&user=postgres" }

    /// Runs SQL with `psql` (unaligned, tuples only) and returns its output.
    func psql(database: String, _ sql: String) throws -> String {
        try Self.output(
            "/usr/bin/psql",
            [
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory, "-U", "postgres", "-d", database,
                "-c", sql,
            ]
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs an SQL script file with `psql` (a large fixture: too long for one argument).
    func psql(database: String, file: String) throws {
        _ = try Self.output(
            "/usr/bin/psql",
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", directory, "-U", "postgres", "-d", database, "-f", file])
    }

    private func run(_ program: String, _ arguments: [String]) throws {
        if asPostgresUser {
            _ = try Self.output("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/\(program)"] + arguments)
        } else {
            _ = try Self.output("\(binaries)/\(program)", arguments)
        }
    }

    enum ServerError: Error, CustomStringConvertible {
        case failed(String)
        var description: String {
            switch self {
            case .failed(let message): return "PostgreSQL test server: \(message)"
            }
        }
    }

    /// Runs a program and returns its standard output; a failure throws with its standard error.
    static func output(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ServerError.failed(
                "\(program) \(arguments.joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func cleanUpAtExit(directory: String, pgCtl: String, asPostgresUser: Bool) {
        let stop =
            asPostgresUser
            ? "/usr/sbin/runuser -u postgres -- \(pgCtl) -D \(directory)/data -m immediate stop"
            : "\(pgCtl) -D \(directory)/data -m immediate stop"
        Cleanup.command.withLock { $0 = "\(stop) >/dev/null 2>&1; rm -rf \(directory)" }
        atexit {
            if let command = Cleanup.command.withLock({ $0 }) { _ = system(command) }
        }
    }
}

private enum Cleanup {
    static let command = Mutex<String?>(nil)
}

/// A tiny lock-protected value (the Synchronization module's Mutex needs a newer deployment target).
final class Mutex<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
