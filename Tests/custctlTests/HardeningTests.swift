import Foundation
import Testing

/// End-to-end: the security findings of the hardening round (SPEC 5.6, 5.8 to 5.11), each as it was
/// reproduced against the binary.
@Suite struct HardeningTests {
    let password = "Tr1cky-Falcon-Orbit\n"

    private func register(_ cli: CLI, _ email: String, cost: Int = 4) throws {
        let result = try cli.run(
            ["register", "--email", email, "--name", "Someone", "--password-stdin"], stdin: password,
            environment: ["CUSTCTL_BCRYPT_COST": String(cost)])
        #expect(result.status == 0, "\(result.stderr)")
    }

    // MARK: - SPEC 5.6 equal work for every failed login

    /// Found: an unknown email took 217 ms, an account whose hash has cost 4 took 16 ms. Medians of
    /// interleaved runs at cost 10; the bound is loose because other suites run in parallel on two cores
    /// (the 10% figure is measured by `make bench`), and the defect was a factor of 5 or more. The two
    /// backends' cases run one after the other, so they do not compete for the cores.
    @Test(.serialized, arguments: Backend.allCases) func givenEveryFailureReason_whenLoggingInAtCost10_thenMediansAgree(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try register(cli, "weak@example.com", cost: 4)
        try register(cli, "strong@example.com", cost: 10)
        try register(cli, "foreign@example.com", cost: 10)
        try register(cli, "inactive@example.com", cost: 10)
        _ = try cli.sql(
            """
            UPDATE customers SET password_hash = 'pbkdf2_sha256$260000$abc$def' WHERE email_normalized = 'foreign@example.com';
            UPDATE customers SET active = false WHERE email_normalized = 'inactive@example.com';
            """)
        let reasons = [
            "unknown@example.com", "weak@example.com", "strong@example.com", "foreign@example.com",
            "inactive@example.com",
        ]
        let environment = ["CUSTCTL_BCRYPT_COST": "10", "CUSTCTL_LOGIN_MAX_ATTEMPTS": "100"]
        var samples: [String: [Double]] = [:]
        for _ in 0..<7 {
            for email in reasons {
                let start = Date()
                let result = try cli.run(
                    ["login", "--email", email, "--password-stdin"], stdin: "Wrong-Password-42\n",
                    environment: environment)
                samples[email, default: []].append(Date().timeIntervalSince(start))
                #expect(result.status == 77, "\(email): \(result.stderr)")
            }
        }
        let medians = samples.mapValues { $0.sorted()[$0.count / 2] }
        let slowest = try #require(medians.values.max())
        let fastest = try #require(medians.values.min())
        #expect(slowest / fastest < 1.4, "medians: \(medians)")
    }

    // MARK: - SPEC 5.8 secrets and crashes

    @Test(arguments: Backend.allCases, [SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGILL])
    func givenALoginHashingAPassword_whenACrashSignalArrives_thenOneLineAndNoDump(_ backend: Backend, signal: Int32)
        throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try register(cli, "ada@example.com")
        let secret = "Zebra-Quartz-Secret-9183"
        let running = try cli.start(
            ["login", "--email", "ada@example.com", "--password-stdin"], stdin: secret + "\n",
            environment: ["CUSTCTL_BCRYPT_COST": "16"])
        let pid = running.process.processIdentifier
        var pending = "0"
        for _ in 0..<400 where pending == "0" {  // the attempt is recorded just before the hash starts
            usleep(10_000)
            pending = try cli.sql("SELECT count(*) FROM login_attempts WHERE outcome = 'pending'")
        }
        #expect(pending == "1")
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let coreLine = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }
        #expect(
            coreLine.map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) }
                .map(Array.init) == ["0", "0"], "\(coreLine ?? "no limits")")
        kill(pid, signal)
        let result = try running.wait()
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("custctl stopped on"))
        for fragment in stride(from: 0, to: secret.count - 4, by: 2).map({ Array(secret)[$0..<$0 + 4] }) {
            #expect(!result.stderr.contains(String(fragment)))
        }
        #expect(!result.stderr.contains("0x"), "no register dump: \(result.stderr)")
    }

    @Test(
        arguments: Backend.allCases,
        [
            (["--busy-timeout", "2147484"], [String: String]()),
            (["--busy-timeout", "-1"], [:]),
            (["--busy-timeout", "nan"], [:]),
            ([], ["CUSTCTL_BUSY_TIMEOUT": "1e12"]),
            ([], ["CUSTCTL_BUSY_TIMEOUT": "inf"]),
            ([], ["CUSTCTL_BCRYPT_COST": "abc"]),
            ([], ["CUSTCTL_LOGIN_MAX_ATTEMPTS": "0"]),
        ])
    func givenAValueOutOfRange_thenUsageErrorNotACrash(_ backend: Backend, _ value: ([String], [String: String]))
        throws
    {
        let (arguments, environment) = value
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let result = try cli.run(["customer", "list", "--json"] + arguments, environment: environment)
        #expect(result.status == 64, "\(arguments) \(environment): \(result.stderr)")
        // Nothing was created: no file (on PostgreSQL, whose database exists already: no table).
        if backend == .sqlite {
            #expect(!FileManager.default.fileExists(atPath: cli.database))
        } else {
            #expect(try cli.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0")
        }
    }

    @Test(arguments: Backend.allCases) func givenABalanceNearTheLargestInteger_whenGranting_thenRefusedNotATrap(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try register(cli, "ada@example.com")
        let huge = try cli.run(["credits", "grant", "ada@example.com", "9223372036854775807", "--source", "manual"])
        #expect(huge.status == 65)
        // A balance that only tampering can produce: the chain triggers are bypassed by writing the
        // entry whole.
        _ = try cli.sql(
            """
            INSERT INTO credit_transactions (customer_id, amount, balance_after, kind, source, created_at)
            SELECT id, 9223372036854775000, 9223372036854775000, 'adjust', 'manual', '2026-01-01T00:00:00.000Z'
            FROM customers;
            """)
        let grant = try cli.run(["credits", "grant", "ada@example.com", "1000", "--source", "manual", "--json"])
        #expect(grant.status == 65, "\(grant.stderr)")
        #expect(try grant.jsonError()["error"] as? String == "balance_out_of_range")
    }

    // MARK: - SPEC 5.9 who acted

    @Test(
        arguments: Backend.allCases,
        [
            "evil\n2026-01-01  root  staff.grant", "\u{1B}[2Jclear", String(repeating: "a", count: 65), "",
            "bidi\u{202E}",
        ])
    func givenAnActorLabelTheLogCannotHold_thenInvalidDataAndNothingWritten(_ backend: Backend, label: String) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try register(cli, "ada@example.com")
        let result = try cli.run(["grant-staff", "ada@example.com", "--level", "full", "--actor", label, "--json"])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(try result.jsonError()["error"] as? String == "invalid_actor")
        #expect(try cli.sql("SELECT CASE WHEN is_staff THEN 1 ELSE 0 END FROM customers") == "0")
    }

    @Test(arguments: Backend.allCases) func givenChanges_thenEachEntryRecordsTheOSUserBesideTheLabel(_ backend: Backend)
        throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try register(cli, "ada@example.com")
        #expect(
            try cli.run(["grant-staff", "ada@example.com", "--level", "full", "--actor", "oncall-ünïcode"]).status == 0)
        let user = String(cString: getpwuid(geteuid()).pointee.pw_name)
        let entries = try cli.run(["audit", "list", "--json"]).jsonLines()
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { $0["os_user"] as? String == user })
        #expect(entries.first?["actor"] as? String == "oncall-ünïcode")
        #expect(entries.last?["actor"] as? String == user)
    }

    @Test(arguments: Backend.allCases) func givenAMarkChange_thenAuditedAndNoBackupWritten(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try register(cli, "ada@example.com")
        #expect(try cli.run(["migrate", "--mark", "production"]).status == 0)
        #expect(try cli.run(["migrate", "--mark", "development", "--actor", "release-bot"]).status == 0)
        #expect(try cli.run(["migrate", "--mark", "development"]).status == 0)  // no change, no entry
        let marks = try cli.run(["audit", "list", "--json"]).jsonLines().filter {
            $0["action"] as? String == "environment.mark"
        }
        #expect(marks.count == 2)
        #expect((marks.first?["details"] as? [String: Any])?["from"] as? String == "production")
        #expect((marks.first?["details"] as? [String: Any])?["to"] as? String == "development")
        #expect(marks.first?["actor"] as? String == "release-bot")
        let backups = try FileManager.default.contentsOfDirectory(atPath: cli.directory.path).filter {
            $0.contains(".backup-")
        }
        #expect(backups.isEmpty, "\(backups)")
    }

    @Test(arguments: Backend.allCases) func givenAStoredValueWithControlCharacters_whenListedAsText_thenEscapedOnOneRow(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try register(cli, "ada@example.com")
        // The newline and the escape character are written into the SQL literal itself (valid on both backends).
        _ = try cli.sql("UPDATE audit_log SET subject = 'x\n2026-01-01  root  staff.grant\u{1B}[2J'")
        let text = try cli.run(["audit", "list"])
        #expect(text.status == 0)
        #expect(text.stdout.split(separator: "\n").count == 2, "\(text.stdout)")  // header and one row
        #expect(text.stdout.contains(#"x\n2026-01-01"#))
        #expect(text.stdout.contains(#"\u{1B}[2J"#))
        #expect(!text.stdout.contains("\u{1B}"))
    }

    // MARK: - SPEC 5.10 input that is never altered

    @Test(
        arguments: Backend.allCases,
        [
            Data("Tr1cky-Falcon\0-Orbit\n".utf8),
            Data([0x54, 0x72, 0x31, 0x63, 0x6B, 0x79, 0x2D, 0xFF, 0xFE, 0x41, 0x62, 0x63, 0x21, 0x0A]),
        ])
    func givenAPasswordWithNULOrInvalidUTF8_thenRefusedAndNeverCut(_ backend: Backend, bytes: Data) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let register = try cli.run(
            ["register", "--email", "ada@example.com", "--name", "Ada", "--password-stdin", "--json"], stdinBytes: bytes
        )
        #expect(register.status == 65)
        #expect(try register.jsonError()["error"] as? String == "invalid_password_bytes")
        try self.register(cli, "bob@example.com")
        // Found: "Tr1cky-Falcon-Orbit" + NUL + anything logged in as "Tr1cky-Falcon-Orbit".
        var withNUL = Data("Tr1cky-Falcon-Orbit".utf8)
        withNUL.append(contentsOf: [0, 0x41, 0x0A])
        let login = try cli.run(["login", "--email", "bob@example.com", "--password-stdin"], stdinBytes: withNUL)
        #expect(login.status == 65)
        #expect(try cli.sql("SELECT count(*) FROM login_attempts") == "0")
    }

    @Test(arguments: Backend.allCases) func givenTimesThatAreNotOnTheCalendar_thenInvalidData(_ backend: Backend) throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try register(cli, "ada@example.com")
        for time in ["2030-02-30", "2030-01-01T24:00:01Z", "10000-01-01"] {
            let result = try cli.run(
                ["credits", "grant", "ada@example.com", "5", "--source", "manual", "--expires-at", time, "--json"])
            #expect(result.status == 65, "\(time)")
            #expect(try result.jsonError()["error"] as? String == "invalid_time")
        }
        #expect(try cli.sql("SELECT count(*) FROM credit_transactions") == "0")
        let future = try cli.run(
            ["credits", "grant", "ada@example.com", "5", "--source", "manual", "--expires-at", "9999-12-31"])
        #expect(future.status == 0)
        #expect(try cli.run(["credits", "balance", "ada@example.com", "--json"]).json()["balance"] as? Int == 5)
    }

    @Test(arguments: Backend.allCases) func givenTwoSpellingsOfOnePeriod_whenPaid_thenTheSecondIsRefused(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try register(cli, "ada@example.com")
        #expect(try cli.run(["billing", "payment-method", "ada@example.com", "--consent"]).status == 0)
        #expect(
            try cli.run(["billing", "subscribe", "ada@example.com", "--period-end", "2099-01-31T00:00:00Z"]).status == 0
        )
        let again = try cli.run(["billing", "pay", "ada@example.com", "--period-end", "2099-01-31T01:00:00+01:00"])
        #expect(again.status == 0)  // the same instant: a replay
        let near = try cli.run(["billing", "pay", "ada@example.com", "--period-end", "2099-01-31T00:00:59Z", "--json"])
        #expect(near.status == 65)
        #expect(try near.jsonError()["error"] as? String == "invalid_time")
        #expect(try cli.run(["credits", "balance", "ada@example.com", "--json"]).json()["balance"] as? Int == 60)
    }

    @Test(arguments: Backend.allCases) func givenABatchLineWithADuplicateKey_thenRefusedWithItsLineNumber(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let file = cli.directory.appendingPathComponent("batch.jsonl")
        try Data(
            """
            {"email": "ok@example.com", "name": "Fine"}
            {"email": "victim@example.com", "name": "Dup", "\\u0065mail": "attacker@example.com"}

            """.utf8
        ).write(to: file)
        let result = try cli.run(["provision", "--file", file.path, "--atomic", "--json"])
        #expect(result.status == 65)
        #expect(try result.jsonError()["line"] as? Int == 2)
        #expect(result.stderr.contains("'email' appears twice"))
        #expect(try cli.sql("SELECT count(*) FROM customers") == "0")
    }

    @Test(arguments: Backend.allCases, ["csv", "jsonl"])
    func givenAFileThatIsNotABatch_whenRefused_thenTheErrorNeverQuotesIt(_ backend: Backend, format: String) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let secretLine = "root:$y$j9T$SecretSaltValue$HashHashHash:19000:0:99999:7:::"
        let file = cli.directory.appendingPathComponent("shadow")
        try Data((secretLine + "\n" + secretLine + "\n").utf8).write(to: file)
        let result = try cli.run(["provision", "--file", file.path, "--input-format", format])
        #expect(result.status == 65)
        #expect(!result.stderr.contains("SecretSalt"), "\(result.stderr)")
        #expect(!result.stderr.contains("root"), "\(result.stderr)")
        #expect(result.stderr.contains("line 1"))
    }

    @Test(arguments: Backend.allCases) func givenABatchWithInvalidUTF8_thenRefusedWithTheLineNumber(_ backend: Backend)
        throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let file = cli.directory.appendingPathComponent("batch.csv")
        var data = Data("email,name\nok@example.com,Fine\nbad@example.com,Caf".utf8)
        data.append(contentsOf: [0xE9, 0x0A])
        try data.write(to: file)
        let result = try cli.run(["provision", "--file", file.path, "--atomic", "--json"])
        #expect(result.status == 65)
        #expect(try result.jsonError()["line"] as? Int == 3)
    }

    // MARK: - SPEC 5.11 throttle configuration on production

    @Test(arguments: Backend.allCases) func givenProduction_whenTheEnvironmentLoosensThrottling_then78ButStricterIsFine(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try register(cli, "ada@example.com", cost: 10)
        #expect(try cli.run(["migrate", "--mark", "production"]).status == 0)
        let login = ["login", "--email", "ada@example.com", "--password-stdin", "--json"]
        for environment in [["CUSTCTL_LOGIN_MAX_ATTEMPTS": "100"], ["CUSTCTL_LOGIN_WINDOW_SECONDS": "30"]] {
            let result = try cli.run(
                login, stdin: password, environment: environment.merging(["CUSTCTL_BCRYPT_COST": "10"]) { a, _ in a })
            #expect(result.status == 78, "\(environment)")
            #expect(try result.jsonError()["error"] as? String == "throttle_too_loose")
        }
        #expect(try cli.sql("SELECT count(*) FROM login_attempts") == "0")
        let stricter = try cli.run(
            login, stdin: password,
            environment: [
                "CUSTCTL_BCRYPT_COST": "10", "CUSTCTL_LOGIN_MAX_ATTEMPTS": "3", "CUSTCTL_LOGIN_WINDOW_SECONDS": "600",
            ])
        #expect(stricter.status == 0, "\(stricter.stderr)")
        let tooMany = try cli.run(login, stdin: password, environment: ["CUSTCTL_LOGIN_MAX_ATTEMPTS": "100000"])
        #expect(tooMany.status == 64)
    }

    // MARK: - Databases that are not custctl's

    @Test func givenAnotherApplicationsSQLiteFile_whenMigrated_then78NamingItsTablesAndUnchanged() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let other = cli.directory.appendingPathComponent("app.db").path
        _ = try cli.sqlite(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY); CREATE TABLE invoices (id INTEGER);", database: other)
        let before = try Data(contentsOf: URL(fileURLWithPath: other))
        for command in [
            ["migrate"], ["customer", "list"],
            ["register", "--email", "a@example.com", "--name", "A", "--password-stdin"],
        ] {
            let result = try cli.run(command + ["--database", other, "--json"], stdin: password)
            #expect(result.status == 78, "\(command)")
            let error = try result.jsonError()
            #expect(error["error"] as? String == "foreign_database")
            #expect(error["tables"] as? [String] == ["invoices", "orders"])
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == before)
        #expect(try cli.sqlite("SELECT group_concat(name) FROM sqlite_master", database: other) == "orders,invoices")
    }

    @Test(arguments: [
        ["doctor"], ["customer", "list"], ["customer", "show", "a@example.com"],
        ["credits", "balance", "a@example.com"],
        ["audit", "list"], ["migrate", "status"], ["apikey", "list"], ["emails", "due"], ["throttle", "status"],
        ["forge", "list"], ["login", "--email", "a@example.com", "--password-stdin"],
    ])
    func givenAMistypedDatabasePath_whenACommandOnlyReads_then66AndNothingCreated(command: [String]) throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let result = try cli.run(command + ["--database", "tpyo.db", "--json"], stdin: password)
        #expect(result.status == 66, "\(command): \(result.stderr)")
        #expect(try result.jsonError()["error"] as? String == "database_not_found")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: cli.directory.path).filter { !$0.hasPrefix(".") } == [])
    }

    @Test func givenANewPath_whenACommandChangesData_thenCreatedWithOneStderrLine() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let result = try cli.run(
            ["register", "--email", "a@example.com", "--name", "A", "--password-stdin"], stdin: password)
        #expect(result.status == 0)
        #expect(result.stderr.contains("created new database custctl.db"))
        let quiet = try cli.run(
            [
                "register", "--email", "b@example.com", "--name", "B", "--password-stdin", "--database", "b.db",
                "--quiet",
            ], stdin: password)
        #expect(quiet.status == 0)
        #expect(quiet.stderr.isEmpty)
    }
}
