import Foundation
import Testing

/// End-to-end: the operator lifecycle (SPEC 9): password set, and how secrets are asked for on a
/// terminal.
@Suite struct LifecycleTests {
    let password = "Tr1cky-Falcon-Orbit\n"

    private func provision(_ cli: CLI, _ email: String = "ada@example.com") throws {
        let result = try cli.run(["provision", "--email", email, "--name", "Ada Lovelace", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    // MARK: - password set

    @Test(arguments: Backend.allCases)
    func givenAProvisionedCustomerWithoutPassword_whenAPasswordIsSet_thenItLogsInAndItIsAudited(_ backend: Backend)
        throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try provision(cli)
        let login = ["login", "--email", "ada@example.com", "--password-stdin", "--json"]
        #expect(try cli.run(login, stdin: password).status == 77)
        let set = try cli.run(["password", "set", "ada@example.com", "--password-stdin", "--json"], stdin: password)
        #expect(set.status == 0, "\(set.stderr)")
        #expect(try set.json()["email"] as? String == "ada@example.com")
        #expect(try cli.run(login, stdin: password).status == 0)
        let entry = try cli.run(["audit", "list", "--json"]).jsonLines().first {
            $0["action"] as? String == "password.set"
        }
        #expect(entry?["subject"] as? String == "ada@example.com")
        #expect(!(try cli.sql("SELECT details FROM audit_log").contains("Tr1cky")))
    }

    @Test(arguments: Backend.allCases) func givenAThrottledEmail_whenItsPasswordIsSet_thenTheThrottleIsCleared(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try provision(cli)
        for _ in 1...5 {
            _ = try cli.run(["login", "--email", "ada@example.com", "--password-stdin"], stdin: "Wrong-Pass-123\n")
        }
        #expect(try cli.run(["login", "--email", "ada@example.com", "--password-stdin"], stdin: password).status == 75)
        #expect(try cli.run(["password", "set", "1", "--password-stdin"], stdin: password).status == 0)
        #expect(try cli.run(["login", "--email", "ada@example.com", "--password-stdin"], stdin: password).status == 0)
    }

    @Test(arguments: Backend.allCases) func givenBadInput_whenSettingAPassword_thenTheDocumentedCodesAndNothingChanges(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try provision(cli)
        let weak = try cli.run(["password", "set", "ada@example.com", "--password-stdin", "--json"], stdin: "short\n")
        #expect(weak.status == 65)
        #expect(try weak.jsonError()["error"] as? String == "password_policy")
        let personal = try cli.run(
            ["password", "set", "ada@example.com", "--password-stdin", "--json"], stdin: "Lovelace-Rules-99\n")
        #expect(personal.status == 65)
        #expect((try personal.jsonError()["violations"] as? [String])?.contains("contains_name") == true)
        let nobody = try cli.run(
            ["password", "set", "nobody@example.com", "--password-stdin", "--json"], stdin: password)
        #expect(nobody.status == 67)
        #expect(try cli.sql("SELECT count(*) FROM customers WHERE password_hash IS NOT NULL") == "0")
        #expect(try cli.run(["password", "set", "ada@example.com", "--password", "x"]).status == 64)
    }

    // MARK: - secrets on a terminal

    @Test(arguments: Backend.allCases)
    func givenATerminal_whenSettingAPassword_thenAskedTwiceWithoutEchoAndAgainAfterAMistake(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try provision(cli)
        let run = try cli.terminal(
            ["password", "set", "ada@example.com"],
            [
                .expect("Password:"), .send("Tr1cky-Falcon-Orbit\n"), .expect("Repeat password:"),
                .send("Tr1cky-Falcon-Orbiq\n"), .expect("differ"), .expect("Password:"), .send("short\n"),
                .expect("Repeat password:"), .send("short\n"), .expect("try again"), .expect("Password:"),
                .send("Tr1cky-Falcon-Orbit\n"), .expect("Repeat password:"), .send("Tr1cky-Falcon-Orbit\n"),
                .expect("password set"),
            ])
        #expect(run.failure == nil, "\(run.transcript)")
        #expect(run.status == 0, "\(run.transcript)")
        #expect(!run.transcript.contains("Tr1cky"), "the password was echoed: \(run.transcript)")
        #expect(run.echo)
        #expect(try cli.run(["login", "--email", "ada@example.com", "--password-stdin"], stdin: password).status == 0)
    }

    @Test(arguments: Backend.allCases) func givenThreeMismatches_whenSettingAPassword_then65AndNothingSet(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try provision(cli)
        var steps: [TerminalStep] = []
        for _ in 1...3 {
            steps += [
                .expect("Password:"), .send("Tr1cky-Falcon-Orbit\n"), .expect("Repeat password:"), .send("nope\n"),
            ]
        }
        let run = try cli.terminal(["password", "set", "ada@example.com"], steps)
        #expect(run.status == 65, "\(run.transcript)")
        #expect(try cli.sql("SELECT count(*) FROM customers WHERE password_hash IS NOT NULL") == "0")
    }

    @Test(arguments: Backend.allCases, ["SIGINT", "SIGTERM"])
    func givenAPasswordPrompt_whenInterrupted_thenTheTerminalEchoesAgain(_ backend: Backend, signal: String) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate", "--quiet"]).status == 0)
        let run = try cli.terminal(
            ["login", "--email", "ada@example.com"], [.expect("Password:"), .send("Tr1"), .signal(signal)])
        #expect(run.failure == nil, "\(run.transcript)")
        #expect(run.status < 0, "ended by the signal: \(run.status)")
        #expect(run.echo, "echo is off after \(signal)")
    }

    @Test(arguments: Backend.allCases) func givenAPasswordPrompt_whenInputEnds_thenTheTerminalEchoesAgain(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate", "--quiet"]).status == 0)
        let run = try cli.terminal(["login", "--email", "ada@example.com"], [.expect("Password:"), .close])
        #expect(run.failure == nil, "\(run.transcript)")
        #expect(run.echo)
    }

    @Test(arguments: Backend.allCases) func givenATerminal_whenCheckingAPassword_thenItIsAskedWithoutEcho(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let run = try cli.terminal(
            ["password", "check"], [.expect("Password:"), .send("Zebra-Quartz-Secret-9183\n"), .expect("passes")])
        #expect(run.failure == nil, "\(run.transcript)")
        #expect(run.status == 0)
        #expect(!run.transcript.contains("Zebra"), "\(run.transcript)")
    }
    // MARK: - credits adjust

    @Test(arguments: Backend.allCases) func givenAMistakenGrant_whenAdjusted_thenTheLedgerCorrectsItWithTheReason(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try provision(cli)  // 5 trial credits
        let removed = try cli.run(
            ["credits", "adjust", "ada@example.com", "--remove", "3", "--reason", "trial credits twice", "--json"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try removed.json()["amount"] as? Int == -3)
        #expect(try removed.json()["balance"] as? Int == 2)
        let added = try cli.run(
            [
                "credits", "adjust", "ada@example.com", "--add", "10", "--reason", "goodwill", "--idempotency-key",
                "t-1",
                "--json",
            ])
        #expect(try added.json()["balance"] as? Int == 12)
        let replay = try cli.run(
            [
                "credits", "adjust", "ada@example.com", "--add", "10", "--reason", "goodwill", "--idempotency-key",
                "t-1",
                "--json",
            ])
        #expect(try replay.json()["replayed"] as? Bool == true)
        #expect(try replay.json()["balance"] as? Int == 12)
        // Added credits are spendable like granted ones.
        let consume = try cli.run(["credits", "consume", "ada@example.com", "--amount", "12", "--json"])
        #expect(consume.status == 0, "\(consume.stderr)")
        #expect(try cli.run(["credits", "balance", "ada@example.com", "--json"]).json()["balance"] as? Int == 0)
        let audit = try cli.run(["audit", "list", "--json"]).jsonLines().filter {
            $0["action"] as? String == "credits.adjust"
        }
        #expect(audit.count == 2)
        #expect((audit.last?["details"] as? [String: Any])?["reason"] as? String == "trial credits twice")
        #expect(try cli.sql("SELECT count(*) FROM credit_transactions WHERE kind = 'adjust'") == "2")
    }

    @Test(arguments: Backend.allCases) func givenBadAdjustments_thenTheDocumentedCodesAndNothingWritten(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try provision(cli)
        let tooMuch = try cli.run(
            ["credits", "adjust", "ada@example.com", "--remove", "6", "--reason", "x", "--json"])
        #expect(tooMuch.status == 65)
        #expect(try tooMuch.jsonError()["error"] as? String == "adjustment_exceeds_balance")
        #expect(try tooMuch.jsonError()["balance"] as? Int == 5)
        #expect(try cli.run(["credits", "adjust", "ada@example.com", "--add", "1"]).status == 64)  // no reason
        #expect(
            try cli.run(["credits", "adjust", "ada@example.com", "--add", "1", "--remove", "1", "--reason", "x"]).status
                == 64)
        #expect(try cli.run(["credits", "adjust", "ada@example.com", "--add", "0", "--reason", "x"]).status == 65)
        #expect(try cli.run(["credits", "adjust", "nobody@example.com", "--add", "1", "--reason", "x"]).status == 67)
        #expect(try cli.sql("SELECT count(*) FROM credit_transactions WHERE kind = 'adjust'") == "0")
        #expect(try cli.run(["doctor"]).status == 0)
    }
    // MARK: - customer erase

    @Test(arguments: Backend.allCases) func givenAFullCustomer_whenErased_thenEverythingPersonalGoesAndTheLedgerStays(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let provisioned = try cli.run(
            [
                "provision", "--email", "Ada@Example.com", "--name", "Ada Lovelace", "--company", "Engines Ltd",
                "--forge", "github:ada-l", "--json",
            ])
        #expect(provisioned.status == 0)
        let key = try #require(try provisioned.json()["api_key"] as? String)
        #expect(try cli.run(["password", "set", "1", "--password-stdin"], stdin: password).status == 0)
        #expect(try cli.run(["grant-staff", "1", "--level", "full"]).status == 0)
        _ = try cli.run(["login", "--email", "ada@example.com", "--password-stdin"], stdin: "Wrong-Pass-123\n")
        #expect(try cli.run(["credits", "consume", "1"]).status == 0)
        let dry = try cli.run(["customer", "erase", "ada@example.com", "--dry-run", "--json"]).json()
        #expect(dry["dry_run"] as? Bool == true)
        #expect(dry["forge_accounts_unlinked"] as? [String] == ["github:ada-l"])
        #expect(dry["api_keys_revoked"] as? Int == 1)
        #expect(try cli.sql("SELECT email FROM customers") == "Ada@Example.com")
        let erased = try cli.run(["customer", "erase", "ada@example.com", "--yes", "--json"])
        #expect(erased.status == 0, "\(erased.stderr)")
        #expect(try erased.json()["email"] as? String == "erased-1@erased.invalid")
        let row = try cli.sql(
            """
            SELECT email, name, coalesce(company_name, '-'), metadata, coalesce(password_hash, '-'),
              CASE WHEN is_staff THEN 1 ELSE 0 END, coalesce(admin_level, '-'), CASE WHEN active THEN 1 ELSE 0 END,
              CASE WHEN erased_at IS NOT NULL THEN 1 ELSE 0 END FROM customers
            """)
        #expect(row == "erased-1@erased.invalid|erased|-|{}|-|0|-|0|1")
        #expect(try cli.sql("SELECT count(*) FROM forge_accounts") == "0")
        #expect(try cli.sql("SELECT count(*) FROM scheduled_emails WHERE sent_at IS NULL") == "0")
        #expect(try cli.sql("SELECT count(*) FROM login_attempts") == "0")
        #expect(try cli.run(["apikey", "verify"], stdin: key + "\n").status == 77)
        #expect(try cli.run(["credits", "balance", "1", "--json"]).json()["balance"] as? Int == 4)
        #expect(try cli.sql("SELECT count(*) FROM credit_transactions") == "2")
        // No trace of the address anywhere in the database file but its SHA-256 (on PostgreSQL: in no
        // table's data, as pg_dump prints it).
        if backend == .sqlite {
            #expect(try cli.sql("PRAGMA wal_checkpoint(TRUNCATE)").hasPrefix("0"))
            let file = try Data(contentsOf: URL(fileURLWithPath: cli.database))
            #expect(file.range(of: Data("ada@example.com".utf8)) == nil)
            #expect(file.range(of: Data("Ada Lovelace".utf8)) == nil)
        } else {
            let dump = try cli.postgresDataDump().lowercased()
            #expect(!dump.contains("ada@example.com"))
            #expect(!dump.contains("ada lovelace"))
        }
        let answer = try cli.run(["customer", "erased", "ADA@example.com", "--json"])
        #expect(answer.status == 0)
        #expect(try answer.json()["customer_id"] as? Int == 1)
        #expect(try cli.run(["customer", "erased", "bob@example.com"]).status == 67)
        let again = try cli.run(["customer", "erase", "1", "--yes", "--json"])
        #expect(again.status == 0)
        #expect(try again.json()["changed"] as? Bool == false)
        #expect(try cli.run(["doctor"]).status == 0)
    }

    @Test(arguments: Backend.allCases) func givenNoTerminal_whenErasingWithoutYes_then64NamingYesAndNothingChanges(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try provision(cli)
        let refused = try cli.run(["customer", "erase", "ada@example.com", "--json"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--yes"))
        #expect(try cli.sql("SELECT email FROM customers") == "ada@example.com")
        #expect(try cli.run(["customer", "erase", "nobody@example.com", "--yes"]).status == 67)
    }

    @Test(arguments: Backend.allCases) func givenATerminal_whenErasing_thenTheEmailMustBeTyped(_ backend: Backend)
        throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try provision(cli)
        let wrong = try cli.terminal(
            ["customer", "erase", "1"], [.expect("Type ada@example.com"), .send("yes\n")])
        #expect(wrong.status == 1, "\(wrong.transcript)")
        #expect(try cli.sql("SELECT email FROM customers") == "ada@example.com")
        let right = try cli.terminal(
            ["customer", "erase", "1"],
            [.expect("Type ada@example.com"), .send("ada@example.com\n"), .expect("erased")])
        #expect(right.status == 0, "\(right.transcript)")
        #expect(try cli.sql("SELECT email FROM customers") == "erased-1@erased.invalid")
    }
    // MARK: - confirmations

    @Test(arguments: Backend.allCases) func givenNoTerminal_whenRollingBackWithoutYes_then64NamingYesAndNothingReverted(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate", "--quiet"]).status == 0)
        let refused = try cli.run(["migrate", "rollback", "--all", "--json"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--yes"))
        #expect(try cli.run(["migrate", "status", "--check"]).status == 0)
    }

    @Test(arguments: Backend.allCases) func givenProduction_whenRollingBackWithoutYes_thenTheRefusalComesFirst(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate", "--mark", "production", "--quiet"]).status == 0)
        let refused = try cli.run(["migrate", "rollback", "--json"])
        #expect(refused.status == 78)
        #expect(try refused.jsonError()["error"] as? String == "production_database")
        let dry = try cli.run(["migrate", "rollback", "--dry-run", "--json"])
        #expect(dry.status == 0)
    }

    @Test(arguments: Backend.allCases) func givenATerminal_whenRollingBack_thenYesMustBeTyped(_ backend: Backend) throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate", "--quiet"]).status == 0)
        let declined = try cli.terminal(["migrate", "rollback"], [.expect("Type yes"), .send("no\n")])
        #expect(declined.status == 1, "\(declined.transcript)")
        #expect(try cli.run(["migrate", "status", "--check"]).status == 0)
        let confirmed = try cli.terminal(
            ["migrate", "rollback"], [.expect("Type yes"), .send("yes\n"), .expect("reverted")])
        #expect(confirmed.status == 0, "\(confirmed.transcript)")
        #expect(try cli.run(["migrate", "status", "--check"]).status == 78)
    }
}

/// Repeats of state changes (SPEC 9): no-ops exit 0 with changed false; a target that never existed is 67.
@Suite struct RepeatTests {
    @Test(arguments: Backend.allCases) func givenAForgeAccountUnlinkedTwice_thenTheRepeatIsANoOpButANeverLinkedOneIs67(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(
            try cli.run([
                "provision", "--email", "ada@example.com", "--name", "Ada", "--forge", "github:ada", "--quiet",
            ])
            .status == 0)
        let first = try cli.run(["forge", "unlink", "ada@example.com", "github:ada", "--json"])
        #expect(try first.json()["changed"] as? Bool == true)
        let again = try cli.run(["forge", "unlink", "ada@example.com", "GITHUB:Ada", "--json"])
        #expect(again.status == 0)
        #expect(try again.json()["changed"] as? Bool == false)
        #expect(try cli.run(["forge", "unlink", "ada@example.com", "gitlab:ada"]).status == 67)
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE action = 'forge.unlink'") == "1")
    }

    @Test(arguments: Backend.allCases) func givenSeveralEmailIds_whenMarkedSent_thenAllOrNone(_ backend: Backend) throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"]).status == 0)
        #expect(try cli.run(["provision", "--email", "bob@example.com", "--name", "Bob", "--quiet"]).status == 0)
        let ids = try cli.run(["emails", "due", "--json"]).jsonLines().compactMap { $0["id"] as? Int }.map(String.init)
        #expect(ids.count == 2)
        #expect(try cli.run(["emails", "mark-sent"] + ids + ["9999"]).status == 67)
        #expect(try cli.sql("SELECT count(*) FROM scheduled_emails WHERE sent_at IS NOT NULL") == "0")
        let marked = try cli.run(["emails", "mark-sent"] + ids + ["--json"]).jsonLines()
        #expect(marked.map { $0["changed"] as? Bool } == [true, true])
        let again = try cli.run(["emails", "mark-sent", ids[0], ids[1], "--json"]).jsonLines()
        #expect(again.map { $0["changed"] as? Bool } == [false, false])
    }
}

/// Backups `migrate` writes (SPEC 9): the newest three of its naming are kept.
@Suite struct BackupTests {
    @Test func givenManyMigrations_thenOnlyTheNewestThreeBackupsStayAndOtherFilesAreLeftAlone() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"]).status == 0)
        let unrelated = cli.database + ".backup-notes.txt"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: unrelated))
        for _ in 1...3 {
            #expect(try cli.run(["migrate", "rollback", "--yes", "--quiet"]).status == 0)
            let migrated = try cli.run(["migrate"])
            #expect(migrated.status == 0)
        }
        let backups = try FileManager.default.contentsOfDirectory(atPath: cli.directory.path)
            .filter { $0.hasPrefix("custctl.db.backup-2") }
        #expect(backups.count == 3, "\(backups)")
        #expect(FileManager.default.fileExists(atPath: unrelated))
        let last = try cli.run(["migrate", "rollback", "--yes"])
        #expect(last.stderr.contains("removed old backup"), "\(last.stderr)")
    }

    @Test func givenMarkOnly_thenNoBackupIsWritten() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"]).status == 0)
        #expect(try cli.run(["migrate", "--mark", "staging", "--quiet"]).status == 0)
        let backups = try FileManager.default.contentsOfDirectory(atPath: cli.directory.path)
            .filter { $0.contains(".backup-") }
        #expect(backups.isEmpty)
    }
}
