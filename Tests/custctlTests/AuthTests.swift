import Foundation
import Testing

/// End-to-end: register, login, throttling, grant-staff, audit, password check.
@Suite struct AuthTests {
    let password = "Tr1cky-Falcon-Orbit\n"

    private func register(_ cli: CLI, _ email: String = "ada@example.com", name: String = "Ada Lovelace") throws
        -> RunResult
    {
        try cli.run(["register", "--email", email, "--name", name, "--password-stdin", "--json"], stdin: password)
    }

    @Test(arguments: Backend.allCases) func givenARegistration_whenLoggingIn_thenJSONCarriesTheContractKeys(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let registered = try register(cli)
        #expect(registered.status == 0)
        let created = try registered.json()
        #expect(created["email"] as? String == "ada@example.com")
        let id = try #require(created["customer_id"] as? Int)
        let login = try cli.run(["login", "--email", "ADA@example.com", "--password-stdin", "--json"], stdin: password)
        #expect(login.status == 0)
        let object = try login.json()
        #expect(object["customer_id"] as? Int == id)
        #expect(object["is_staff"] as? Bool == false)
        #expect(object["admin_level"] is NSNull)
        #expect(try cli.sql("SELECT count(*) FROM customers WHERE last_login_at IS NOT NULL") == "1")
        let hash = try cli.sql("SELECT password_hash FROM customers")
        #expect(hash.hasPrefix("$2b$04$") && hash.count == 60)
        #expect(try cli.sql("SELECT count(*) FROM customers WHERE password_hash LIKE '%Falcon%'") == "0")
    }

    @Test(arguments: Backend.allCases) func givenUnicodeCaseVariants_whenRegisteringTwice_thenConflict73(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try register(cli, "ÄLICE@x.io", name: "Alice").status == 0)
        let duplicate = try register(cli, "a\u{0308}lice@X.IO", name: "Alice")
        #expect(duplicate.status == 73)
        #expect(try duplicate.jsonError()["error"] as? String == "email_taken")
        #expect(try cli.sql("SELECT count(*) FROM customers") == "1")
    }

    @Test(arguments: Backend.allCases) func givenBadRegistrations_thenTheDocumentedExitCodesAndNothingWritten(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let weak = try cli.run(
            ["register", "--email", "b@example.com", "--name", "B", "--password-stdin", "--json"], stdin: "short\n")
        #expect(weak.status == 65)
        let error = try weak.jsonError()
        #expect(error["error"] as? String == "password_policy")
        #expect(error["violations"] as? [String] == ["too_short", "no_uppercase", "no_digit", "no_symbol"])
        let common = try cli.run(
            ["register", "--email", "b@example.com", "--name", "B", "--password-stdin", "--json"],
            stdin: "Password123!\n")
        #expect(try common.jsonError()["violations"] as? [String] == ["common_password"])
        #expect(
            try cli.run(["register", "--email", "bad", "--name", "B", "--password-stdin"], stdin: password).status == 65
        )
        #expect(
            try cli.run(["register", "--email", "b@example.com", "--name", "B", "--password-stdin"], stdin: "").status
                == 65)
        #expect(
            try cli.run(
                ["register", "--email", "b@example.com", "--name", "B", "--type", "vip", "--password-stdin"],
                stdin: password
            ).status == 64)
        // Input is checked before the database is opened: not even a file was created (PostgreSQL: no table).
        if backend == .sqlite {
            #expect(!FileManager.default.fileExists(atPath: cli.database))
        } else {
            #expect(try cli.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0")
        }
    }

    @Test(arguments: Backend.allCases) func givenAPasswordInArgv_thenRefusedAsUsage(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let flag = try cli.run([
            "register", "--email", "b@example.com", "--name", "B", "--password", "Tr1cky-Falcon-Orbit",
        ])
        #expect(flag.status == 64)
        let noTerminal = try cli.run(["register", "--email", "b@example.com", "--name", "B", "--json"])
        #expect(noTerminal.status == 64)
        #expect((try noTerminal.jsonError()["message"] as? String)?.contains("--password-stdin") == true)
        #expect(try cli.run(["login", "--email", "b@example.com", "Tr1cky-Falcon-Orbit"]).status == 64)
    }

    @Test(arguments: Backend.allCases) func givenEveryFailureReason_whenLoggingIn_then77WithOneMessage(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        #expect(try register(cli, "inactive@example.com").status == 0)
        _ = try cli.sql(
            """
            UPDATE customers SET active = false WHERE email_normalized = 'inactive@example.com';
            INSERT INTO customers (name, email, email_normalized, created_at, updated_at)
            VALUES ('N', 'n@example.com', 'n@example.com', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z');
            """)
        var messages = Set<String>()
        for (email, stdin) in [
            ("ada@example.com", "Wrong-Pass-123\n"), ("nobody@example.com", password),
            ("inactive@example.com", password), ("n@example.com", password),
        ] {
            let result = try cli.run(["login", "--email", email, "--password-stdin", "--json"], stdin: stdin)
            #expect(result.status == 77, "\(email)")
            messages.insert(result.stderr)
        }
        #expect(messages.count == 1)
        #expect(try cli.run(["login", "--email", "not-an-email", "--password-stdin"], stdin: password).status == 65)
    }

    @Test(arguments: Backend.allCases) func givenFortyProcessesOnOneAccount_whenAllFail_thenExactlyFiveAreEvaluated(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        let results = try cli.runConcurrently(40, stdin: "Wrong-Pass-123\n") { _ in
            ["login", "--email", "ada@example.com", "--password-stdin", "--json", "--busy-timeout", "30"]
        }
        let statuses = results.map(\.status)
        #expect(statuses.filter { $0 == 77 }.count == 5, "\(statuses)")
        #expect(statuses.filter { $0 == 75 }.count == 35, "\(statuses)")
        for throttled in results where throttled.status == 75 {
            let error = try throttled.jsonError()
            #expect(error["error"] as? String == "throttled")
            #expect((error["retry_after"] as? Int ?? 0) >= 1)
        }
    }

    @Test(arguments: Backend.allCases) func givenAnUnknownEmail_whenItFailsRepeatedly_thenTheSixthIsThrottled(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate"]).status == 0)
        for attempt in 1...6 {
            let result = try cli.run(["login", "--email", "ghost@example.com", "--password-stdin"], stdin: password)
            #expect(result.status == (attempt <= 5 ? 77 : 75), "attempt \(attempt)")
        }
        let status = try cli.run(["throttle", "status", "--json"]).jsonLines()
        #expect(status.count == 1)
        #expect(status.first?["email"] as? String == "ghost@example.com")
        #expect(status.first?["throttled"] as? Bool == true)
        #expect(status.first?["failures_in_window"] as? Int == 5)
        let reset = try cli.run(["throttle", "reset", "ghost@example.com", "--actor", "oncall", "--json"]).json()
        #expect(reset["attempts_removed"] as? Int == 5)
        #expect(
            try cli.run(["login", "--email", "ghost@example.com", "--password-stdin"], stdin: password).status == 77)
        let audit = try cli.run(["audit", "list", "--json"]).jsonLines()
        #expect(audit.first?["action"] as? String == "throttle.reset")
        #expect(audit.first?["actor"] as? String == "oncall")
    }

    @Test(arguments: Backend.allCases) func givenALoginKilledDuringThePasswordCheck_thenTheAttemptStillCounts(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let slow = try cli.run(
            ["register", "--email", "ada@example.com", "--name", "Ada", "--password-stdin"],
            stdin: password, environment: ["CUSTCTL_BCRYPT_COST": "15"])
        #expect(slow.status == 0)
        let running = try cli.start(
            ["login", "--email", "ada@example.com", "--password-stdin"], stdin: "Wrong-Pass-123\n")
        var pending = "0"
        for _ in 0..<400 where pending == "0" {
            usleep(10_000)
            pending = try cli.sql("SELECT count(*) FROM login_attempts WHERE outcome = 'pending'")
        }
        #expect(pending == "1")
        kill(running.process.processIdentifier, SIGKILL)
        let killed = try running.wait()
        #expect(killed.status == SIGKILL)
        let states = try cli.run(["throttle", "status", "ada@example.com", "--json"]).jsonLines()
        #expect(states.first?["failures_in_window"] as? Int == 1)
        // The file survived the kill intact (SQLite only: a PostgreSQL server rolls the session back).
        if backend == .sqlite {
            #expect(try cli.sqlite("PRAGMA integrity_check") == "ok")
        }
    }

    @Test(arguments: Backend.allCases) func givenStaffCommands_thenIdempotentAuditedAndTyped(_ backend: Backend) throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        let granted = try cli.run([
            "grant-staff", "ada@example.com", "--level", "read_only", "--actor", "alice", "--json",
        ]).json()
        #expect(granted["is_staff"] as? Bool == true)
        #expect(granted["admin_level"] as? String == "read_only")
        #expect(granted["changed"] as? Bool == true)
        let again = try cli.run(["grant-staff", "ada@example.com", "--level", "read_only", "--json"])
        #expect(again.status == 0)
        #expect(try again.json()["changed"] as? Bool == false)
        let revoked = try cli.run(["grant-staff", "ada@example.com", "--revoke", "--json"]).json()
        #expect(revoked["is_staff"] as? Bool == false && revoked["admin_level"] is NSNull)
        #expect(try cli.run(["grant-staff", "nobody@example.com", "--level", "full"]).status == 67)
        #expect(try cli.run(["grant-staff", "ada@example.com"]).status == 64)
        #expect(try cli.run(["grant-staff", "ada@example.com", "--level", "full", "--revoke"]).status == 64)
        #expect(try cli.run(["grant-staff", "ada@example.com", "--level", "root"]).status == 64)
        let audit = try cli.run(["audit", "list", "--customer", "ada@example.com", "--json"]).jsonLines()
        #expect(audit.map { $0["action"] as? String } == ["staff.revoke", "staff.grant", "customer.create"])
        #expect(audit[1]["actor"] as? String == "alice")
        #expect((audit[1]["details"] as? [String: Any])?["to"] as? String == "read_only")
        let login = try cli.run(["login", "--email", "ada@example.com", "--password-stdin", "--json"], stdin: password)
            .json()
        #expect(login["is_staff"] as? Bool == false)
    }

    /// An out-of-range cost is a usage error like any bad value (SPEC 5.8); a cost too weak for a
    /// production database is configuration.
    @Test(arguments: Backend.allCases) func givenBcryptCostSettings_thenBadValuesAre64AndWeakProductionCostsAre78(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let bad = try cli.run(
            ["register", "--email", "a@example.com", "--name", "A", "--password-stdin"],
            stdin: password, environment: ["CUSTCTL_BCRYPT_COST": "3"])
        #expect(bad.status == 64)
        #expect(try cli.run(["migrate", "--mark", "production"]).status == 0)
        let weak = try cli.run(
            ["register", "--email", "a@example.com", "--name", "A", "--password-stdin", "--json"], stdin: password)
        #expect(weak.status == 78)
        #expect(try weak.jsonError()["error"] as? String == "bcrypt_cost_too_low")
        let strong = try cli.run(
            ["register", "--email", "a@example.com", "--name", "A", "--password-stdin"],
            stdin: password, environment: ["CUSTCTL_BCRYPT_COST": "10"])
        #expect(strong.status == 0)
        #expect(try cli.sql("SELECT substr(password_hash, 1, 7) FROM customers") == "$2b$10$")
    }

    @Test(arguments: Backend.allCases) func givenPasswordCheck_thenVerdictWithoutStoring(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let good = try cli.run(["password", "check", "--json"], stdin: password)
        #expect(good.status == 0)
        #expect(try good.json()["ok"] as? Bool == true)
        let bad = try cli.run(["password", "check", "--email", "falcon@example.com", "--json"], stdin: password)
        #expect(bad.status == 65)
        #expect(try bad.jsonError()["violations"] as? [String] == ["contains_email"])
        // No database was opened: no file (PostgreSQL: no table).
        if backend == .sqlite {
            #expect(!FileManager.default.fileExists(atPath: cli.database))
        } else {
            #expect(try cli.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0")
        }
    }
}
