import Foundation
import Testing

/// End-to-end: the store, migrations and CLI conventions, through the built binary.
@Suite struct FoundationTests {
    @Test(arguments: Backend.allCases) func givenNoDatabase_whenACommandChangesData_thenItIsCreatedMigratedAndPrivate(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let reset = try cli.run(["throttle", "reset", "ada@example.com", "--json"])
        #expect(reset.status == 0)
        // The file's mode (SQLite only: a PostgreSQL database is the server's).
        if backend == .sqlite {
            #expect(try cli.mode(cli.database) == 0o600)
        }
        let status = try cli.run(["migrate", "status", "--json"]).json()
        #expect((status["applied"] as? [String]) == (try cli.migrationNames()))
        #expect((status["pending"] as? [String]) == [])
        #expect(status["environment"] as? String == "development")
        if backend == .sqlite {  // the file's journal mode
            #expect(try cli.sql("PRAGMA journal_mode") == "wal")
        }
    }

    @Test(arguments: Backend.allCases)
    func givenTwentyProcesses_whenTheyCreateOneDatabaseAtOnce_thenAllSucceedAndSchemaIsCreatedOnce(_ backend: Backend)
        throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let results = try cli.runConcurrently(20) { _ in ["throttle", "reset", "ada@example.com", "--json"] }
        for result in results {
            #expect(result.status == 0, "stderr: \(result.stderr)")
        }
        #expect(try cli.sql("SELECT count(*) FROM custctl_migrations") == String(try cli.migrationNames().count))
        #expect(try cli.sql("SELECT count(DISTINCT applied_at) FROM custctl_migrations") == "1")
    }

    @Test func givenAGarbageFile_whenACommandRuns_thenExit74AndTheFileIsUntouched() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let garbage = String(repeating: "this is not sqlite\n", count: 300)
        try garbage.write(toFile: cli.database, atomically: true, encoding: .utf8)
        let result = try cli.run(["customer", "list", "--json"])
        #expect(result.status == 74)
        #expect(try result.jsonError()["error"] as? String == "database_unusable")
        #expect(try String(contentsOfFile: cli.database, encoding: .utf8) == garbage)
        #expect(try cli.run(["migrate"]).status == 74)
    }

    @Test func givenUnusablePaths_whenACommandRuns_thenExit74WithOneLine() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let directory = cli.directory.appendingPathComponent("adir").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for path in [directory, cli.directory.appendingPathComponent("missing/custctl.db").path] {
            let result = try cli.run(["throttle", "reset", "ada@example.com", "--database", path])
            #expect(result.status == 74)
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
        #expect(try cli.run(["customer", "list", "--database", directory]).status == 74)
        let dangling = cli.directory.appendingPathComponent("dangling.db").path
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "/nonexistent/target.db")
        #expect(try cli.run(["throttle", "reset", "ada@example.com", "--database", dangling]).status == 74)
    }

    @Test func givenALegacyLayout_whenACommandRuns_thenExit78WithAHint() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        _ = try cli.sqlite(
            """
            CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,
              api_key TEXT UNIQUE, github_org TEXT, inserted_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com', 'sk_live_1', 'ada-org', '2025-01-01', '2025-01-01');
            """)
        let result = try cli.run(["customer", "list", "--json"])
        #expect(result.status == 78)
        let error = try result.jsonError()
        #expect(error["error"] as? String == "legacy_layout")
        #expect((error["message"] as? String)?.contains("custctl migrate") == true)
        let status = try cli.run(["migrate", "status", "--check", "--json"])
        #expect(status.status == 78)
        #expect(try cli.sqlite("SELECT api_key FROM customers") == "sk_live_1")
    }

    @Test(arguments: Backend.allCases) func givenPendingMigrations_whenAnOrdinaryCommandRuns_thenExit78UntilMigrate(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate"]).status == 0)
        let newestTwo = Array(try cli.migrationNames().suffix(2))
        let reverted = try cli.run(["migrate", "rollback", "--yes", "--steps", "2", "--json"]).json()
        #expect(reverted["reverted"] as? [String] == newestTwo.reversed())
        let refused = try cli.run(["customer", "list", "--json"])
        #expect(refused.status == 78)
        let error = try refused.jsonError()
        #expect(error["error"] as? String == "migrations_pending")
        #expect(error["migrations"] as? [String] == newestTwo)
        #expect(try cli.run(["migrate", "status", "--check"]).status == 78)
        let dryRun = try cli.run(["migrate", "--dry-run", "--json"]).json()
        #expect(dryRun["applied"] as? [String] == newestTwo)
        #expect(try cli.run(["customer", "list"]).status == 78)
        let applied = try cli.run(["migrate", "--json"])
        #expect(applied.status == 0)
        #expect(try applied.json()["applied"] as? [String] == newestTwo)
        #expect(try cli.run(["migrate", "status", "--check"]).status == 0)
        #expect(try cli.run(["customer", "list"]).status == 0)
    }

    /// SQLite's schema mark (`user_version`) lets a command skip reading the bookkeeping; a schema
    /// changed since by another tool (here: an older custctl's rollback, whose DDL bumps
    /// `schema_version`) must not pass for current.
    @Test func givenASchemaChangedBehindTheMark_whenACommandRuns_thenThePendingMigrationsAreFound() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate", "--quiet"]).status == 0)
        let names = try cli.migrationNames()
        let mark = try cli.sqlite("PRAGMA user_version")
        #expect(mark != "0")
        #expect(try cli.run(["customer", "list"]).status == 0)
        _ = try cli.sqlite(
            "ALTER TABLE customers DROP COLUMN erased_at; "
                + "DELETE FROM custctl_migrations WHERE name >= '012_add_customer_erased_at'")
        #expect(try cli.sqlite("PRAGMA user_version") == mark)  // the other tool left the mark as it was
        let result = try cli.run(["customer", "list", "--json"])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(try result.jsonError()["error"] as? String == "migrations_pending")
        #expect(try cli.run(["migrate", "--quiet", "--no-backup"]).status == 0)
        #expect(try cli.run(["migrate", "status", "--check"]).status == 0)
        #expect(try cli.sqlite("SELECT count(*) FROM custctl_migrations") == String(names.count))
    }

    @Test(arguments: Backend.allCases) func givenADatabaseFromANewerCustctl_whenACommandRuns_thenExit78(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate"]).status == 0)
        _ = try cli.sql(
            "INSERT INTO custctl_migrations (name, applied_at) VALUES ('999_from_the_future', '2030-01-01T00:00:00.000Z')"
        )
        if backend == .sqlite {  // a newer custctl marks the file's schema as its own (user_version)
            _ = try cli.sql("PRAGMA user_version = \(0x4343_0000 + (try cli.migrationNames().count) + 1)")
        }
        for arguments in [
            ["customer", "list", "--json"], ["migrate", "--json"], ["migrate", "rollback", "--yes", "--json"],
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == 78, "\(arguments)")
            #expect(try result.jsonError()["error"] as? String == "database_newer")
        }
    }

    @Test(arguments: Backend.allCases) func givenACurrentDatabase_whenRollbackAll_thenNoCustctlTableIsLeft(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate"]).status == 0)
        let result = try cli.run(["migrate", "rollback", "--yes", "--all", "--json"])
        #expect(result.status == 0)
        #expect((try result.json()["reverted"] as? [String]) == (try cli.migrationNames().reversed()))
        // No table, index, trigger or sequence (on PostgreSQL: nor function) is left in the database.
        if backend == .sqlite {
            #expect(try cli.sql("SELECT count(*) FROM sqlite_master") == "0")
        } else {
            #expect(
                try cli.sql(
                    """
                    SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = 'public')
                    + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                      WHERE n.nspname = 'public')
                    """) == "0")
        }
        let status = try cli.run(["migrate", "status", "--json"]).json()
        #expect(status["layout"] as? String == "empty")
    }

    @Test func givenADatabaseWithData_whenMigrationsChangeIt_thenAPrivateBackupIsWrittenFirst() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate"]).status == 0)
        try insertCustomer(cli, id: 1, email: "ada@example.com")
        let rollback = try cli.run(["migrate", "rollback", "--yes", "--steps", "1", "--json"]).json()
        let backup = cli.directory.appendingPathComponent(try #require(rollback["backup"] as? String)).path
        #expect(try cli.mode(backup) == 0o600)
        #expect(try cli.sqlite("SELECT email FROM customers", database: backup) == "ada@example.com")
        #expect(
            try cli.sqlite("SELECT count(*) FROM custctl_migrations", database: backup)
                == String(try cli.migrationNames().count))
        let noBackup = try cli.run(["migrate", "--no-backup", "--json"]).json()
        #expect(noBackup["backup"] is NSNull)
        let files = try FileManager.default.contentsOfDirectory(atPath: cli.directory.path).filter {
            $0.contains(".backup-")
        }
        #expect(files.count == 1)
    }

    @Test(arguments: Backend.allCases) func givenAProductionMark_whenRollingBack_thenRefusedWith78AndNothingChanges(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let marked = try cli.run(["migrate", "--mark", "production", "--json"])
        #expect(try marked.json()["environment"] as? String == "production")
        let refused = try cli.run(["migrate", "rollback", "--yes", "--all", "--json"])
        #expect(refused.status == 78)
        #expect(try refused.jsonError()["error"] as? String == "production_database")
        #expect(try cli.sql("SELECT count(*) FROM custctl_migrations") == String(try cli.migrationNames().count))
        #expect(try cli.run(["migrate", "--mark", "staging"]).status == 0)
        #expect(try cli.run(["migrate", "rollback", "--yes"]).status == 0)
        #expect(try cli.run(["migrate", "--mark", "nowhere"]).status == 64)
    }

    @Test func givenAnotherProcessHoldsTheWriteLock_whenAWriteRuns_thenExit75AndNothingChanges() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate"]).status == 0)
        let shell = try SQLiteShell(database: cli.database)
        try shell.execute("BEGIN IMMEDIATE; UPDATE custctl_settings SET value = value;")
        let busy = try cli.run(["migrate", "--mark", "test", "--busy-timeout", "0.2", "--json"])
        #expect(busy.status == 75)
        #expect(try busy.jsonError()["error"] as? String == "database_busy")
        let busyFromEnvironment = try cli.run(
            ["migrate", "--mark", "test"], environment: ["CUSTCTL_BUSY_TIMEOUT": "0.1"])
        #expect(busyFromEnvironment.status == 75)
        try shell.execute("COMMIT;")
        shell.close()
        #expect(try cli.sqlite("SELECT value FROM custctl_settings WHERE key = 'environment'") == "development")
    }

    @Test func givenGlobalOptions_whenWrittenBeforeOrAfterTheSubcommand_thenBothWork() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let other = cli.directory.appendingPathComponent("other.db").path
        #expect(try cli.run(["--database", other, "migrate"]).status == 0)
        #expect(try cli.run(["--database", other, "--json", "customer", "list"]).status == 0)
        #expect(
            try cli.run(["--database", other, "--json", "migrate", "status"]).json()["environment"] as? String
                == "development")
        try insertCustomer(cli, id: 7, email: "grace@example.com", database: other)
        let before = try cli.run(["--database", other, "--json", "customer", "show", "grace@example.com"]).json()
        let after = try cli.run(["customer", "show", "GRACE@example.com", "--database=\(other)", "--json"]).json()
        #expect(before["id"] as? Int == 7)
        #expect(after["id"] as? Int == 7)
        let fromEnvironment = try cli.run(
            ["customer", "show", "7", "--json"], environment: ["CUSTCTL_DATABASE": other])
        #expect(try fromEnvironment.json()["email"] as? String == "grace@example.com")
        #expect(!FileManager.default.fileExists(atPath: cli.database))
    }

    @Test(arguments: Backend.allCases) func givenCustomers_whenListedWithJSON_thenOneObjectPerLineInIdOrder(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate"]).status == 0)
        try insertCustomer(cli, id: 2, email: "b@example.com")
        try insertCustomer(cli, id: 1, email: "a@example.com", staff: true)
        let lines = try cli.run(["customer", "list", "--json"]).jsonLines()
        #expect(lines.map { $0["id"] as? Int } == [1, 2])
        #expect(lines.first?["is_staff"] as? Bool == true)
        #expect(lines.first?["password_hash"] == nil)
        let staffOnly = try cli.run(["customer", "list", "--staff", "--json"]).jsonLines()
        #expect(staffOnly.count == 1)
        let paged = try cli.run(["customer", "list", "--after-id", "1", "--limit", "5", "--json"]).jsonLines()
        #expect(paged.map { $0["id"] as? Int } == [2])
        let human = try cli.run(["customer", "list"])
        #expect(human.stdout.contains("a@example.com"))
        #expect(human.stderr.contains("2 customer(s)"))
        #expect(try cli.run(["customer", "list", "--quiet"]).stderr.isEmpty)
    }

    @Test(arguments: Backend.allCases) func givenBadInput_whenCommandsRun_thenEachExitCodeMeansOneThing(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let unknownFlag = try cli.run(["customer", "list", "--bogus", "--json"])
        #expect(unknownFlag.status == 64)
        #expect(try unknownFlag.jsonError()["error"] as? String == "usage")
        #expect(unknownFlag.stderr.split(separator: "\n").count == 1)
        #expect(try cli.run(["customer", "show"]).status == 64)
        #expect(try cli.run(["migrate", "rollback", "--steps", "0"]).status == 64)
        #expect(try cli.run(["migrate", "rollback", "--steps", "1", "--all"]).status == 64)
        #expect(try cli.run(["migrate"]).status == 0)
        #expect(try cli.run(["migrate", "rollback", "--yes", "--to", "no_such_migration"]).status == 64)
        #expect(try cli.run(["customer", "list", "--busy-timeout", "soon"]).status == 64)
        #expect(try cli.run(["customer", "list"], environment: ["CUSTCTL_BUSY_TIMEOUT": "soon"]).status == 64)
        let badEmail = try cli.run(["customer", "show", "not-an-email", "--json"])
        #expect(badEmail.status == 65)
        #expect(try badEmail.jsonError()["error"] as? String == "invalid_email")
        let missing = try cli.run(["customer", "show", "nobody@example.com", "--json"])
        #expect(missing.status == 67)
        #expect(try missing.jsonError()["error"] as? String == "customer_not_found")
        #expect(missing.stdout.isEmpty)
        let human = try cli.run(["customer", "show", "nobody@example.com"])
        #expect(human.stderr.hasPrefix("error: no customer"))
        #expect(human.stderr.split(separator: "\n").count == 1)
    }

    @Test func givenHelpVersionAndCompletions_whenAsked_thenExit0WithOutput() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        for arguments in [["--version"], ["migrate", "rollback", "--version"], ["customer", "list", "--version"]] {
            let result = try cli.run(arguments)
            #expect(result.status == 0)
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        }
        let help = try cli.run(["migrate", "rollback", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Example"))
        let completion = try cli.run(["--generate-completion-script", "bash"])
        #expect(completion.status == 0)
        #expect(completion.stdout.contains("custctl"))
        #expect(!FileManager.default.fileExists(atPath: cli.database))
    }

    /// Inserts a customer into the CLI's database (either backend), or into the SQLite file `database`.
    private func insertCustomer(_ cli: CLI, id: Int, email: String, staff: Bool = false, database: String? = nil) throws
    {
        let insert = """
            INSERT INTO customers (id, name, email, email_normalized, is_staff, admin_level, created_at, updated_at)
            VALUES (\(id), 'Test \(id)', '\(email)', lower('\(email)'), \(staff ? "true" : "false"),
                    \(staff ? "'full'" : "NULL"), '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
            """
        _ = try database.map { try cli.sqlite(insert, database: $0) } ?? cli.sql(insert)
    }
}

/// End-to-end: customer administration and the diagnostic flags.
@Suite struct CustomerAdminTests {
    @Test(arguments: Backend.allCases)
    func givenACustomer_whenUpdatedDeactivatedAndActivated_thenEachIsAuditedAndLoginFollows(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let password = "Tr1cky-Falcon-Orbit\n"
        #expect(
            try cli.run(
                ["register", "--email", "ada@example.com", "--name", "Ada", "--password-stdin"], stdin: password
            ).status == 0)
        let updated = try cli.run([
            "customer", "update", "ada@example.com", "--company", "Engines", "--type", "enterprise", "--json",
        ]).json()
        #expect(updated["company_name"] as? String == "Engines" && updated["customer_type"] as? String == "enterprise")
        #expect(updated["changed"] as? Bool == true)
        #expect(
            try cli.run(["customer", "update", "ada@example.com", "--company", "Engines", "--json"]).json()["changed"]
                as? Bool == false)
        #expect(try cli.run(["customer", "update", "ada@example.com"]).status == 64)
        #expect(try cli.run(["customer", "update", "ada@example.com", "--name", " "]).status == 65)
        #expect(try cli.run(["customer", "update", "nobody@example.com", "--name", "X"]).status == 67)
        let off = try cli.run(["customer", "deactivate", "ada@example.com", "--actor", "oncall", "--json"]).json()
        #expect(off["active"] as? Bool == false && off["changed"] as? Bool == true)
        #expect(try cli.run(["login", "--email", "ada@example.com", "--password-stdin"], stdin: password).status == 77)
        #expect(
            try cli.run(["customer", "deactivate", "ada@example.com", "--json"]).json()["changed"] as? Bool == false)
        #expect(try cli.run(["customer", "activate", "ada@example.com", "--json"]).json()["active"] as? Bool == true)
        #expect(try cli.run(["login", "--email", "ada@example.com", "--password-stdin"], stdin: password).status == 0)
        let actions = try cli.run(["audit", "list", "--json"]).jsonLines().compactMap { $0["action"] as? String }
        #expect(actions == ["customer.activate", "customer.deactivate", "customer.update", "customer.create"])
        #expect(
            try cli.run(["audit", "list", "--limit", "2", "--json"]).jsonLines()[1]["actor"] as? String == "oncall")
    }

    @Test(arguments: Backend.allCases) func givenVerbose_thenDiagnosticsGoToStderrAndDataStaysOnStdout(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate", "--quiet"]).status == 0)
        let verbose = try cli.run(["customer", "list", "--json", "--verbose"])
        #expect(verbose.status == 0)
        if backend == .sqlite {
            #expect(verbose.stderr.contains("database: custctl.db"))
        } else {
            #expect(verbose.stderr.contains("database: "), "\(verbose.stderr)")
            #expect(verbose.stderr.contains(cli.postgresDatabaseName ?? "?"), "\(verbose.stderr)")
        }
        #expect(verbose.stdout.isEmpty)
        #expect(try cli.run(["customer", "list", "--json"]).stderr.isEmpty)
    }
}
