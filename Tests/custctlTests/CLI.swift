import Foundation
import Testing

/// What one run of the built binary did.
struct RunResult: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String

    /// Standard output's lines, each decoded as a JSON object (JSON Lines).
    func jsonLines() throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            guard let dictionary = object as? [String: Any] else { throw CLIError.notAnObject(String(line)) }
            return dictionary
        }
    }

    /// Standard output as one JSON object.
    func json() throws -> [String: Any] {
        let lines = try jsonLines()
        guard lines.count == 1, let only = lines.first else { throw CLIError.notAnObject(stdout) }
        return only
    }

    /// Standard error as one JSON error object (`--json` failures).
    func jsonError() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(stderr.utf8))
        guard let dictionary = object as? [String: Any] else { throw CLIError.notAnObject(stderr) }
        return dictionary
    }
}

enum CLIError: Error {
    case notAnObject(String)
    case binaryMissing(String)
    case notPostgreSQL
}

/// Runs the built `custctl` in a temporary folder of its own.
struct CLI: Sendable {
    /// The folder the commands run in (their working directory); removed by `cleanUp`.
    let directory: URL

    /// The backend the commands run against.
    let backend: Backend
    /// The PostgreSQL database of this CLI (its own, on the test server), or nil on SQLite.
    let postgresURI: String?

    /// The database: the default file inside `directory`, or this CLI's PostgreSQL URI.
    var database: String { postgresURI ?? directory.appendingPathComponent("custctl.db").path }

    /// The name of this CLI's PostgreSQL database, or nil on SQLite.
    var postgresDatabaseName: String? {
        postgresURI.map { String($0.dropFirst("postgresql:///".count).prefix { $0 != "?" }) }
    }

    /// A CLI on its own folder and, for PostgreSQL, its own new database on the test server.
    init(_ backend: Backend = .sqlite) throws {
        self.backend = backend
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("custctl-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        postgresURI = backend == .postgresql ? try PostgresServer.shared().createDatabase() : nil
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The binary under test: `$CUSTCTL_BIN`, else the package's debug build.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["CUSTCTL_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/custctl").path
    }()

    /// Runs `custctl ARGS` with `stdin` as standard input and `environment` added.
    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> RunResult {
        try start(arguments, stdin: stdin, environment: environment).wait()
    }

    /// Starts `custctl ARGS` without waiting.
    func start(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Running {
        try start(arguments, stdinBytes: stdin.map { Data($0.utf8) }, environment: environment)
    }

    /// Runs `custctl ARGS` with raw bytes (NUL, invalid UTF-8) as standard input.
    func run(_ arguments: [String], stdinBytes: Data?, environment: [String: String] = [:]) throws -> RunResult {
        try start(arguments, stdinBytes: stdinBytes, environment: environment).wait()
    }

    /// Starts `custctl ARGS` with raw bytes as standard input, without waiting.
    func start(_ arguments: [String], stdinBytes: Data?, environment: [String: String] = [:]) throws -> Running {
        guard FileManager.default.isExecutableFile(atPath: CLI.binary) else { throw CLIError.binaryMissing(CLI.binary) }
        let id = UUID().uuidString
        let outURL = directory.appendingPathComponent(".out-\(id)")
        let errURL = directory.appendingPathComponent(".err-\(id)")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["CUSTCTL_DATABASE"] = postgresURI
        env["CUSTCTL_BUSY_TIMEOUT"] = nil
        env["NO_COLOR"] = "1"
        env["CUSTCTL_BCRYPT_COST"] = "4"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdinBytes { input.fileHandleForWriting.write(stdinBytes) }
        try input.fileHandleForWriting.close()
        return Running(process: process, outURL: outURL, errURL: errURL)
    }

    /// Starts `count` processes at once (argument lists from `arguments(i)`) and waits for all.
    func runConcurrently(_ count: Int, stdin: String? = nil, _ arguments: (Int) -> [String]) throws -> [RunResult] {
        let running = try (0..<count).map { try start(arguments($0), stdin: stdin) }
        return try running.map { try $0.wait() }
    }

    /// Every migration this binary knows, in order (what `migrate` would apply to a new database).
    func migrationNames() throws -> [String] {
        let scratch = directory.appendingPathComponent(".names-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let run = try self.run(["migrate", "--dry-run", "--json", "--database", scratch]).json()
        return run["applied"] as? [String] ?? []
    }

    /// Runs SQL on this CLI's database: `psql` on PostgreSQL (booleans print as t/f), else the `sqlite3`
    /// shell (test set-up and inspection only).
    func sql(_ sql: String) throws -> String {
        guard let postgresDatabaseName else { return try sqlite(sql) }
        return try PostgresServer.shared().psql(database: postgresDatabaseName, sql)
    }

    /// Every row of this CLI's PostgreSQL database as `pg_dump --data-only` prints it.
    func postgresDataDump() throws -> String {
        guard let postgresURI else { throw CLIError.notPostgreSQL }
        return try PostgresServer.output("/usr/bin/pg_dump", ["--data-only", "--no-owner", "--dbname", postgresURI])
    }

    /// Loads an SQL script (a fixture in this backend's form) into the database: `psql -f` on
    /// PostgreSQL, else the `sqlite3` shell.
    func load(_ script: String) throws {
        guard let postgresDatabaseName else { return try loadSQLite(script) }
        let file = directory.appendingPathComponent(".load-\(UUID().uuidString).sql")
        try script.write(to: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try PostgresServer.shared().psql(database: postgresDatabaseName, file: file.path)
    }

    /// Feeds an SQL script (a fixture) to the `sqlite3` shell on the database.
    func loadSQLite(_ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [database]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "sqlite3 failed on a script")
    }

    /// Runs the `sqlite3` shell on the database (test set-up and inspection only).
    func sqlite(_ sql: String, database: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [database ?? self.database, sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "sqlite3 failed on: \(sql)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// File mode bits (e.g. 0o600) of a path.
    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}

/// A started process.
struct Running {
    let process: Process
    let outURL: URL
    let errURL: URL

    func wait() throws -> RunResult {
        process.waitUntilExit()
        let out = try String(contentsOf: outURL, encoding: .utf8)
        let err = try String(contentsOf: errURL, encoding: .utf8)
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
        return RunResult(status: process.terminationStatus, stdout: out, stderr: err)
    }
}
