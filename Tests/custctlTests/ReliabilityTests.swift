import Foundation
import Testing

/// End-to-end reliability: doctor, kill -9 at random moments, injected I/O errors, hostile input.
/// `make test` runs short versions; `CUSTCTL_LONG_TESTS=1` (make test-long) runs the full counts.
@Suite struct ReliabilityTests {
    static let long = ProcessInfo.processInfo.environment["CUSTCTL_LONG_TESTS"] != nil

    /// strace is installed and may trace here (a container can forbid ptrace).
    static var straceWorks: Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { return false }
        return Self.succeeds("/usr/bin/strace", ["-f", "-o", "/dev/null", "/bin/true"])
    }

    /// This process may mount a small tmpfs (root with mount rights).
    static var canMountTmpfs: Bool {
        guard geteuid() == 0 else { return false }
        let point = FileManager.default.temporaryDirectory.appendingPathComponent("custctl-mount-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: point, withIntermediateDirectories: true)) != nil else {
            return false
        }
        defer { try? FileManager.default.removeItem(at: point) }
        guard Self.succeeds("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", point.path]) else { return false }
        return Self.succeeds("/bin/umount", [point.path])
    }

    private static func succeeds(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    private func doctorIsClean(_ cli: CLI) throws -> Bool {
        let result = try cli.run(["doctor", "--json"])
        if result.status != 0 { print("doctor: \(result.stdout.prefix(400))") }
        return result.status == 0
    }

    @Test func givenDamage_whenDoctorRuns_thenEachProblemIsListedAndExitIs1() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["seed", "--count", "20"]).status == 0)
        #expect(try doctorIsClean(cli))
        _ = try cli.sqlite(
            """
            PRAGMA foreign_keys = OFF;
            INSERT INTO forge_accounts (customer_id, forge_type, namespace, created_at) VALUES (999, 'github', 'ghost', 't');
            DROP TRIGGER credit_transactions_chain;
            INSERT INTO credit_transactions (customer_id, amount, balance_after, kind, source, created_at) VALUES (3, 1, 99, 'grant', 'manual', 't');
            """)
        chmod(cli.database, 0o644)
        let result = try cli.run(["doctor", "--json"])
        #expect(result.status == 1)
        let checks = Set((try result.json()["problems"] as? [[String: String]] ?? []).compactMap { $0["check"] })
        #expect(
            checks == [
                "file_permissions", "foreign_keys", "ledger_chain", "ledger_lots", "orphans", "schema_objects",
                "ledger_audit",
            ])
    }

    /// One tampering with a database: its SQL on SQLite, its SQL on PostgreSQL when that differs (triggers are
    /// written differently), and the doctor check that must report it.
    struct Tampering: Sendable, CustomTestStringConvertible {
        let sqlite: String
        var postgresql: String? = nil
        let check: String
        var testDescription: String { "\(check): \(sqlite.prefix(40))" }
    }

    /// Found: doctor passed a chain-consistent grant of 1,000,000 credits inserted with sqlite3 (with
    /// its lot, so balances and lots agree), and a database whose ledger triggers were dropped.
    @Test(
        arguments: Backend.allCases,
        [
            Tampering(
                // The entry's created_at is copied from the customer's last entry: a literal would be text on
                // PostgreSQL in an INSERT ... SELECT.
                sqlite: """
                    INSERT INTO credit_transactions (customer_id, amount, balance_after, kind, source, created_at)
                      SELECT id, 1000000, 1000000 + (SELECT balance_after FROM credit_transactions WHERE customer_id = c.id ORDER BY id DESC LIMIT 1), 'grant', 'manual',
                        (SELECT created_at FROM credit_transactions WHERE customer_id = c.id ORDER BY id DESC LIMIT 1)
                      FROM customers c WHERE email_normalized = 'trial@example.com';
                    INSERT INTO credit_lots (grant_id, customer_id, remaining) SELECT max(id), customer_id, 1000000 FROM credit_transactions GROUP BY customer_id HAVING max(id) = (SELECT max(id) FROM credit_transactions);
                    """, check: "ledger_audit"),
            Tampering(
                sqlite: "DROP TRIGGER credit_transactions_chain;",
                postgresql: "DROP TRIGGER credit_transactions_chain ON credit_transactions;", check: "schema_objects"),
            Tampering(sqlite: "DROP INDEX audit_log_customer_id;", check: "schema_objects"),
            Tampering(
                sqlite: "CREATE TRIGGER sneaky AFTER INSERT ON api_keys BEGIN SELECT 1; END;",
                postgresql: """
                    CREATE FUNCTION sneaky() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
                    CREATE TRIGGER sneaky AFTER INSERT ON api_keys FOR EACH ROW EXECUTE FUNCTION sneaky();
                    """, check: "schema_objects"),
        ])
    func givenTamperingBehindCustctlsBack_whenDoctorRuns_thenItIsReported(_ backend: Backend, tampering: Tampering)
        throws
    {
        let check = tampering.check
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["seed", "--quiet"]).status == 0)
        #expect(try cli.run(["credits", "grant", "trial@example.com", "3", "--source", "manual"]).status == 0)
        #expect(try doctorIsClean(cli))
        _ = try cli.sql(backend == .postgresql ? tampering.postgresql ?? tampering.sqlite : tampering.sqlite)
        let result = try cli.run(["doctor", "--json"])
        #expect(result.status == 1)
        let checks = Set((try result.json()["problems"] as? [[String: String]] ?? []).compactMap { $0["check"] })
        #expect(checks == [check], "\(result.stdout)")
    }

    @Test(arguments: Backend.allCases) func givenAnAtomicBatch_whenKilledAtRandomMoments_thenItHappenedWholeOrNotAtAll(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let records = Self.long ? 20_000 : 4_000
        let file = cli.directory.appendingPathComponent("batch.jsonl").path
        let lines = (1...records).map {
            #"{"email":"c\#($0)@example.com","name":"C \#($0)","forge":"github:c-\#($0)"}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try cli.run(["migrate"]).status == 0)
        let started = Date()
        #expect(try cli.run(["provision", "--file", file, "--atomic", "--json"]).status == 0)
        let duration = Date().timeIntervalSince(started)
        var generator = SeededRandom(seed: 2026)
        let trials = Self.long ? 16 : 8
        var outcomes: [Int] = []
        for _ in 0..<trials {
            // SQLite deletes a customer's rows with it only with foreign keys on; PostgreSQL always does.
            _ = try cli.sql(
                (backend == .sqlite ? "PRAGMA foreign_keys = ON; " : "")
                    + "DELETE FROM customers; DELETE FROM provision_requests;")
            let running = try cli.start(["provision", "--file", file, "--atomic", "--quiet"])
            usleep(UInt32(duration * Double(generator.next() % 1000) / 1000 * 1_000_000))
            kill(running.process.processIdentifier, SIGKILL)
            _ = try running.wait()
            let count = Int(try cli.sql("SELECT count(*) FROM customers")) ?? -1
            #expect(count == 0 || count == records, "a killed atomic batch left \(count) customers")
            #expect(try cli.sql("SELECT count(*) FROM api_keys") == String(count))
            #expect(try doctorIsClean(cli))
            outcomes.append(count)
        }
        print("atomic batch kill outcomes: \(outcomes)")
    }

    @Test(arguments: Backend.allCases) func givenConsumersAndProvisionersBeingKilled_thenEveryOperationIsWholeOrAbsent(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada"]).status == 0)
        #expect(try cli.run(["credits", "grant", "ada@example.com", "500", "--source", "manual"]).status == 0)
        var generator = SeededRandom(seed: 7)
        for round in 0..<(Self.long ? 30 : 10) {
            let consumer = try cli.start([
                "credits", "consume", "ada@example.com", "--amount", "3", "--idempotency-key", "k\(round)",
            ])
            let provisioner = try cli.start([
                "provision", "--email", "p\(round)@example.com", "--name", "P", "--forge", "github:p\(round)",
            ])
            usleep(UInt32(generator.next() % 60_000))
            kill(consumer.process.processIdentifier, SIGKILL)
            kill(provisioner.process.processIdentifier, SIGKILL)
            _ = try consumer.wait()
            _ = try provisioner.wait()
            let parts = try cli.sql(
                """
                SELECT (SELECT count(*) FROM api_keys k JOIN customers c ON c.id = k.customer_id WHERE c.email = 'p\(round)@example.com')
                  || ' ' || (SELECT count(*) FROM scheduled_emails e JOIN customers c ON c.id = e.customer_id WHERE c.email = 'p\(round)@example.com')
                  || ' ' || (SELECT count(*) FROM customers WHERE email = 'p\(round)@example.com')
                """)
            #expect(parts == "0 0 0" || parts == "1 4 1", "provision \(round) left \(parts)")
        }
        #expect(try doctorIsClean(cli))
        let consumed =
            Int(try cli.sql("SELECT -COALESCE(SUM(amount), 0) FROM credit_transactions WHERE kind = 'consume'"))
            ?? -1
        #expect(consumed % 3 == 0)
        #expect(try cli.run(["credits", "balance", "ada@example.com"]).stdout == "\(505 - consumed)\n")
    }

    @Test(.enabled(if: straceWorks, "strace is missing or may not trace here (apt-get install strace)"))
    func givenInjectedIOErrors_whenWriting_thenExit74AndTheDatabaseIsIntact() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate"]).status == 0)
        var failures = 0
        for (calls, when) in [
            ("fdatasync,fsync", 1), ("fdatasync,fsync", 2), ("pwrite64", 1), ("pwrite64", 2), ("pwrite64", 3),
            ("pwrite64", 5),
        ] {
            let email = "io-\(calls.prefix(3))-\(when)@example.com"
            let result = try runTraced(
                cli, ["provision", "--email", email, "--name", "IO", "--json"],
                inject: "\(calls):error=EIO:when=\(when)")
            #expect(result.status == 0 || result.status == 74, "\(calls) \(when): \(result.status) \(result.stderr)")
            let count = try cli.sqlite("SELECT count(*) FROM customers WHERE email = '\(email)'")
            if result.status == 74 {
                failures += 1
                #expect(result.stderr.split(separator: "\n").count == 1)
                #expect(try result.jsonError()["error"] as? String == "database_unusable")
                #expect(count == "0", "a failed provision left its customer")
            } else {
                #expect(count == "1")
            }
            #expect(try cli.sqlite("PRAGMA integrity_check") == "ok")
        }
        #expect(failures > 0)
        #expect(try doctorIsClean(cli))
    }

    @Test(.enabled(if: canMountTmpfs, "needs root with the right to mount a small tmpfs"))
    func givenAFullDisk_whenProvisioning_thenExit74AndEveryCustomerIsWholeOrAbsent() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let mountPoint = cli.directory.appendingPathComponent("small-disk").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=450k", "tmpfs", mountPoint]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "mounting the small tmpfs failed")
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint]
            try? umount.run()
            umount.waitUntilExit()
        }
        let database = mountPoint + "/custctl.db"
        #expect(try cli.run(["migrate", "--database", database]).status == 0)
        var full = false
        for index in 0..<400 where !full {
            let result = try cli.run([
                "provision", "--email", "f\(index)@example.com", "--name", String(repeating: "N", count: 200),
                "--company", String(repeating: "C", count: 200),
                "--database", database, "--json",
            ])
            if result.status == 74 {
                full = true
                #expect(try result.jsonError()["error"] as? String == "database_unusable")
                #expect(result.stderr.split(separator: "\n").count == 1)
            } else {
                #expect(result.status == 0, "\(result.stderr)")
            }
        }
        #expect(full, "the small disk never filled up")
        #expect(try cli.sqlite("PRAGMA integrity_check", database: database) == "ok")
        let parts = try cli.sqlite(
            "SELECT (SELECT count(*) FROM customers) || ' ' || (SELECT count(*) FROM api_keys) || ' ' || (SELECT count(*) FROM scheduled_emails) / 4",
            database: database)
        let numbers = parts.split(separator: " ")
        #expect(Set(numbers).count == 1, "customers, keys and email sets differ: \(parts)")
    }

    private func runTraced(_ cli: CLI, _ arguments: [String], inject: String) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        let calls = String(inject.prefix { $0 != ":" })
        process.arguments =
            ["-f", "-qq", "-o", "/dev/null", "-e", "trace=\(calls)", "-e", "inject=\(inject)", CLI.binary]
            + arguments + ["--database", cli.database]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RunResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    @Test(arguments: Backend.allCases) func givenHostileInput_thenOneCleanLineTheDocumentedCodeAndNoChange(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "keep@example.com", "--name", "Keep"]).status == 0)
        let before = try cli.sql("SELECT count(*) || '/' || max(updated_at) FROM customers")
        #expect(before.hasPrefix("1/"))
        let cases: [([String], Int32)] = [
            (
                [
                    "provision", "--email", "x');DROP/**/TABLE/**/customers;--@example.com", "--name",
                    "Bobby'); DROP TABLE customers; --",
                ], 0
            ),
            (["provision", "--email", "tab\there@example.com", "--name", "X"], 65),
            (["provision", "--email", String(repeating: "a", count: 250) + "@example.com", "--name", "X"], 65),
            (["provision", "--email", "big@example.com", "--name", String(repeating: "N", count: 100_000)], 65),
            (["provision", "--email", "nul@example.com", "--name", "a\u{7}b"], 65),
            (["credits", "grant", "keep@example.com", "99999999999999999999999", "--source", "manual"], 65),
            (["customer", "show", "999999999999999999999999"], 65),
            (["customer", "list", "--limit", "-1"], 64),
        ]
        for (arguments, status) in cases {
            let result = try cli.run(arguments + ["--json"])
            #expect(result.status == status, "\(arguments.prefix(3))")
            if status != 0 {
                #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments.prefix(3))")
            }
        }
        #expect(try cli.sql("SELECT count(*) FROM customers") == "2")
        #expect(try cli.sql("SELECT email FROM customers WHERE id = 2").hasPrefix("x');DROP"))
        #expect(try cli.sql("SELECT count(*) || '/' || max(updated_at) FROM customers WHERE id = 1") == before)
        let decomposed = try cli.run(["provision", "--email", "A\u{0308}lice@example.com", "--name", "NFD", "--json"])
        #expect(decomposed.status == 0)
        #expect(try cli.run(["provision", "--email", "älice@example.com", "--name", "NFC"]).status == 73)
        // The rest is about files (SQLite only).
        guard backend == .sqlite else { return }
        // Not a database, unreadable, a directory: 74 with one line.
        let notSQLite = cli.directory.appendingPathComponent("text.db").path
        try String(repeating: "x", count: 5000).write(toFile: notSQLite, atomically: true, encoding: .utf8)
        #expect(try cli.run(["customer", "list", "--database", notSQLite]).status == 74)
        if getuid() != 0 {
            chmod(notSQLite, 0)
            #expect(try cli.run(["customer", "list", "--database", notSQLite]).status == 74)
        }
        let link = cli.directory.appendingPathComponent("link.db").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: cli.database)
        #expect(try cli.run(["customer", "list", "--database", link, "--json"]).jsonLines().count == 3)
    }
}

/// A fixed-seed generator for reproducible kill timings.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
}
