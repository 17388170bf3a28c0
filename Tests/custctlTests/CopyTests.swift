import Foundation
import Testing

/// End-to-end: `custctl copy --to TARGET` between SQLite and PostgreSQL (SPEC 8, moving between backends).
@Suite struct CopyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// custctl's tables, in copy order.
    static let tables = [
        "customers", "api_keys", "forge_accounts", "credit_transactions", "credit_lots", "login_attempts", "audit_log",
        "scheduled_emails", "provision_requests", "seed_runs", "seed_customers",
    ]

    private func ok(_ cli: CLI, _ arguments: [String], stdin: String? = nil) throws {
        let result = try cli.run(arguments, stdin: stdin)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
    }

    /// Fills `cli`'s database with a bit of everything: customers (with and without password), keys,
    /// forge accounts, a ledger with grants, consumption, an adjustment and an expiry, audit entries,
    /// the outbox, provisioning idempotency keys, login attempts and a seed run.
    private func fill(_ cli: CLI, expiry: Bool = false) throws {
        try ok(
            cli,
            [
                "provision", "--email", "ada@example.com", "--name", "Ada", "--forge", "github:ada-labs",
                "--idempotency-key", "p-1", "--quiet",
            ])
        try ok(
            cli,
            [
                "provision", "--email", "grace@example.com", "--name", "Grace", "--forge", "gitlab:grace",
                "--quiet",
            ])
        try ok(
            cli, ["register", "--email", "alan@example.com", "--name", "Alan", "--password-stdin", "--quiet"],
            stdin: "Tr1cky-Falcon-Orbit\n")
        try ok(cli, ["apikey", "create", "alan@example.com", "--name", "ci", "--quiet"])
        try ok(cli, ["forge", "link", "alan@example.com", "bitbucket:alan", "--quiet"])
        try ok(cli, ["credits", "grant", "alan@example.com", "40", "--source", "purchase", "--quiet"])
        try ok(cli, ["credits", "consume", "ada@example.com", "--amount", "2", "--quiet"])
        try ok(cli, ["credits", "adjust", "alan@example.com", "--remove", "5", "--reason", "typo", "--quiet"])
        _ = try cli.run(["login", "--email", "alan@example.com", "--password-stdin"], stdin: "Wrong-Pass-123\n")
        try ok(
            cli, ["seed", "--count", "3", "--random-seed", "7", "--quiet"],
            stdin: nil)
        if expiry {
            let soon = Date().addingTimeInterval(1.2)
            let formatter = ISO8601DateFormatter()
            try ok(
                cli,
                [
                    "credits", "grant", "grace@example.com", "3", "--source", "promo", "--expires-at",
                    formatter.string(from: soon), "--quiet",
                ])
            Thread.sleep(forTimeInterval: 1.5)
            try ok(cli, ["credits", "consume", "grace@example.com", "--amount", "1", "--quiet"])
        }
    }

    /// Every table of an SQLite file as JSON text, rows in key order; the copies' own audit entries left out.
    private func dump(_ cli: CLI, _ database: String) throws -> [String: String] {
        var tables: [String: String] = [:]
        for table in Self.tables + ["custctl_settings"] {
            let filter = table == "audit_log" ? " WHERE action <> 'database.copy'" : ""
            tables[table] = try cli.sqlite("SELECT * FROM \(table)\(filter) ORDER BY 1", database: database)
        }
        return tables
    }

    private func copy(_ cli: CLI, from source: String, to target: String, _ extra: [String] = []) throws -> RunResult {
        try cli.run(["copy", "--database", source, "--to", target, "--json"] + extra)
    }

    // MARK: - Round trip

    @Test func givenAFilledSQLiteDatabase_whenCopiedToPostgreSQLAndBack_thenEveryTableIsEqual() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli, expiry: true)
        #expect(try cli.sqlite("SELECT count(*) FROM credit_transactions WHERE kind = 'expire'") == "1")
        let postgres = try PostgresServer.shared().createDatabase()
        let back = cli.directory.appendingPathComponent("back.db").path
        let there = try copy(cli, from: cli.database, to: postgres)
        #expect(there.status == 0, "\(there.stderr)")
        let home = try copy(cli, from: postgres, to: back)
        #expect(home.status == 0, "\(home.stderr)")
        let original = try dump(cli, cli.database)
        let roundTripped = try dump(cli, back)
        for table in original.keys.sorted() {
            #expect(original[table] == roundTripped[table], "\(table) differs after the round trip")
        }
        #expect(original["customers"]?.isEmpty == false)
    }

    @Test(arguments: Backend.allCases)
    func givenACopy_whenItEnds_thenTheCountsAndChainsOfBothSidesArePrintedAndEqual(_ target: Backend) throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        let destination =
            target == .postgresql
            ? try PostgresServer.shared().createDatabase() : cli.directory.appendingPathComponent("to.db").path
        let result = try copy(cli, from: cli.database, to: destination)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try result.json()
        let counts = try #require(report["tables"] as? [[String: Any]])
        #expect(counts.map { $0["table"] as? String } == Self.tables)
        for count in counts {
            #expect(count["source_rows"] as? Int == count["target_rows"] as? Int, "\(count)")
        }
        let customers = try cli.sqlite("SELECT count(*) FROM customers")
        #expect(counts.first?["source_rows"] as? Int == Int(customers))
        #expect(report["ledger_chain_breaks"] as? [String: Int] == ["source": 0, "target": 0])
        #expect(report["equal"] as? Bool == true)
        #expect(report["source"] as? String == cli.database)
        #expect(report["environment"] as? String == "development")
        #expect(report["skipped_tables"] as? [String] == [])
        #expect(report["rows_copied"] as? Int == counts.reduce(0) { $0 + ($1["target_rows"] as? Int ?? 0) })
    }

    // MARK: - The target afterwards

    @Test func givenACopyToPostgreSQL_whenNewRowsAreAdded_thenIdsFollowTheCopiedOnes() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        let target = try CLI(.postgresql)
        defer { target.cleanUp() }
        #expect(try copy(cli, from: cli.database, to: target.database).status == 0)
        #expect(
            try target.sql("SELECT id, email FROM customers ORDER BY id")
                == cli.sqlite("SELECT id, email FROM customers ORDER BY id"))
        let maxCustomer = try #require(Int(try cli.sqlite("SELECT max(id) FROM customers")))
        let registered = try target.run(
            ["register", "--email", "new@example.com", "--name", "New", "--password-stdin", "--json"],
            stdin: "Tr1cky-Falcon-Orbit\n")
        #expect(registered.status == 0, "\(registered.stderr)")
        #expect(try registered.json()["customer_id"] as? Int == maxCustomer + 1)
        // Keys, forge accounts, the ledger and the audit log take new ids without colliding.
        try ok(target, ["apikey", "create", "new@example.com", "--quiet"])
        try ok(target, ["forge", "link", "new@example.com", "github:brand-new", "--quiet"])
        try ok(target, ["credits", "grant", "new@example.com", "7", "--source", "manual", "--quiet"])
        try ok(target, ["provision", "--email", "newer@example.com", "--name", "Newer", "--quiet"])
        #expect(try target.run(["doctor"]).status == 0)
    }

    @Test func givenAProductionSource_whenCopied_thenTheTargetIsMarkedProductionAndAuditsTheCopy() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        try ok(cli, ["migrate", "--mark", "production", "--quiet"])
        let target = try CLI(.postgresql)
        defer { target.cleanUp() }
        #expect(try copy(cli, from: cli.database, to: target.database).status == 0)
        #expect(try target.sql("SELECT value FROM custctl_settings WHERE key = 'environment'") == "production")
        let entry = try target.sql("SELECT details->>'source' FROM audit_log WHERE action = 'database.copy'")
        #expect(entry == cli.database)
    }

    @Test func givenAMissingTargetFile_whenCopiedTo_thenItIsCreatedPrivate() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        try fill(cli)
        let file = cli.directory.appendingPathComponent("new.db").path
        let result = try copy(cli, from: cli.database, to: file)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try cli.mode(file) == 0o600)
        #expect(try cli.sqlite("PRAGMA journal_mode", database: file) == "wal")
    }

    @Test func givenAToSchema_whenCopiedToPostgreSQL_thenTheTablesAreInThatSchema() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        let target = try CLI(.postgresql)
        defer { target.cleanUp() }
        #expect(try copy(cli, from: cli.database, to: target.database, ["--to-schema", "core"]).status == 0)
        #expect(try target.sql("SELECT count(*) FROM core.customers") == cli.sqlite("SELECT count(*) FROM customers"))
        #expect(try target.sql("SELECT to_regclass('public.customers') IS NULL") == "t")
    }

    @Test func givenAConsolidatedLegacyDatabase_whenCopied_thenTheArchiveComesAlong() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try cli.loadSQLite(
            String(contentsOf: Self.root.appendingPathComponent("fixtures/legacy/small.sql"), encoding: .utf8))
        try ok(cli, ["migrate", "--quiet"])
        let target = try CLI(.postgresql)
        defer { target.cleanUp() }
        let result = try copy(cli, from: cli.database, to: target.database)
        #expect(result.status == 0, "\(result.stderr)")
        let names = try #require(try result.json()["tables"] as? [[String: Any]]).compactMap { $0["table"] as? String }
        #expect(names.contains("legacy_archive") && names.contains("legacy_schema"))
        #expect(
            try target.sql("SELECT count(*) FROM legacy_archive") == cli.sqlite("SELECT count(*) FROM legacy_archive"))
        #expect(
            try target.sql("SELECT string_agg(row_json, '|' ORDER BY id) FROM legacy_archive")
                == cli.sqlite(
                    "SELECT group_concat(row_json, '|') FROM (SELECT row_json FROM legacy_archive ORDER BY id)"))
        // The archive is for reading there: the legacy tables cannot come back on another backend.
        try ok(target, ["migrate", "--mark", "staging"])
        let rollback = try target.run(["migrate", "rollback", "--all", "--yes", "--no-backup", "--json"])
        #expect(rollback.status == 78, "\(rollback.stderr)")
        #expect(try rollback.jsonError()["error"] as? String == "legacy_archive_missing")
        #expect(try target.sql("SELECT count(*) FROM customers") == "6")
    }

    @Test func givenAConsolidatedPostgreSQLDatabase_whenCopiedToSQLite_thenRollbackThereIsRefused() throws {
        let source = try CLI(.postgresql)
        defer { source.cleanUp() }
        _ = try source.sql(
            String(
                contentsOf: Self.root.appendingPathComponent("fixtures/legacy/small-postgresql.sql"), encoding: .utf8))
        try ok(source, ["migrate", "--quiet", "--no-backup", "--schema", "core"])
        let target = try CLI(.sqlite)
        defer { target.cleanUp() }
        let result = try copy(target, from: source.database, to: target.database, ["--schema", "core"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            try target.sqlite("SELECT count(*) FROM legacy_archive")
                == (try source.sql("SELECT count(*) FROM core.legacy_archive")))
        try ok(target, ["migrate", "--mark", "staging"])
        let rollback = try target.run(["migrate", "rollback", "--all", "--yes", "--no-backup", "--json"])
        #expect(rollback.status == 78, "\(rollback.stderr)")
        #expect(try rollback.jsonError()["error"] as? String == "legacy_archive_missing")
        #expect(try target.sqlite("SELECT count(*) FROM customers") == "6")
    }

    // MARK: - Refusals

    @Test(arguments: Backend.allCases)
    func givenATargetWithRows_whenCopiedTo_thenRefusedWith73AndLeftUnchanged(_ backend: Backend) throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        let target = try CLI(backend)
        defer { target.cleanUp() }
        try ok(
            target, ["register", "--email", "kept@example.com", "--name", "Kept", "--password-stdin", "--quiet"],
            stdin: "Tr1cky-Falcon-Orbit\n")
        let before = try target.sql("SELECT id, email FROM customers ORDER BY id")
        let result = try copy(cli, from: cli.database, to: target.database)
        #expect(result.status == 73)
        #expect(try result.jsonError()["error"] as? String == "target_not_empty")
        #expect(try target.sql("SELECT id, email FROM customers ORDER BY id") == before)
        #expect(try target.sql("SELECT count(*) FROM audit_log WHERE action = 'database.copy'") == "0")
    }

    @Test(arguments: Backend.allCases)
    func givenATargetWithAnotherApplicationsTables_whenCopiedTo_thenRefusedWith73(_ backend: Backend) throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        let target = try CLI(backend)
        defer { target.cleanUp() }
        _ = try target.sql("CREATE TABLE invoices (id integer PRIMARY KEY)")
        let result = try copy(cli, from: cli.database, to: target.database)
        #expect(result.status == 73)
        #expect(try result.jsonError()["tables"] as? [String] == ["invoices"])
    }

    @Test func givenAnEmptyMigratedTarget_whenCopiedTo_thenAccepted() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        let target = try CLI(.postgresql)
        defer { target.cleanUp() }
        try ok(target, ["migrate", "--quiet", "--no-backup"])
        let result = try copy(cli, from: cli.database, to: target.database)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func givenAPasswordInTheToURI_whenCopying_thenRefusedWith64() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        let result = try copy(cli, from: cli.database, to: "postgresql://someone:secret@localhost/db")
        #expect(result.status == 64)
        #expect(try result.jsonError()["error"] as? String == "password_in_arguments")
        #expect(!result.stderr.contains("secret"))
    }

    @Test func givenASourceWithPendingMigrations_whenCopied_thenRefusedWith78() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        try ok(cli, ["migrate", "rollback", "--steps", "1", "--yes", "--no-backup", "--quiet"])
        let target = cli.directory.appendingPathComponent("to.db").path
        let result = try copy(cli, from: cli.database, to: target)
        #expect(result.status == 78)
        #expect(try result.jsonError()["error"] as? String == "migrations_pending")
    }

    // MARK: - All or nothing

    @Test(arguments: Backend.allCases)
    func givenARowTheTargetCannotTake_whenTheCopyFailsMidway_thenTheTargetIsLeftEmpty(_ backend: Backend) throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        // scheduled_emails comes after customers, keys, the ledger and the audit log: those were written.
        _ = try cli.sqlite(
            "UPDATE scheduled_emails SET due_at = 'next tuesday' WHERE id = (SELECT max(id) FROM scheduled_emails)")
        let target = try CLI(backend)
        defer { target.cleanUp() }
        let result = try copy(cli, from: cli.database, to: target.database)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(try result.jsonError()["error"] as? String == "unreadable_value")
        let tables =
            backend == .postgresql
            ? try target.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            : try target.sqlite("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        #expect(tables == "0")
    }

    @Test func givenAKilledCopy_whenTheProcessDiesMidway_thenTheTargetIsLeftEmpty() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try ok(cli, ["seed", "--count", "3000", "--random-seed", "3", "--quiet"])
        let target = try CLI(.postgresql)
        defer { target.cleanUp() }
        let running = try cli.start(["copy", "--database", cli.database, "--to", target.database])
        // Killed once the copy has begun inserting rows (inside its one transaction).
        let inserting = """
            SELECT count(*) FROM pg_stat_activity
            WHERE application_name = 'custctl' AND query LIKE 'INSERT INTO "public".%' AND state <> 'idle'
            """
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, running.process.isRunning, try target.sql(inserting) == "0" {
            Thread.sleep(forTimeInterval: 0.005)
        }
        let wasRunning = running.process.isRunning
        kill(running.process.processIdentifier, SIGKILL)
        _ = try running.wait()
        if wasRunning {
            // The server notices the closed connection and rolls back.
            Thread.sleep(forTimeInterval: 0.3)
            #expect(try target.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0")
        } else {
            // The copy finished first: it is complete.
            #expect(try target.sql("SELECT count(*) FROM customers") == cli.sqlite("SELECT count(*) FROM customers"))
        }
    }

    @Test func givenABrokenSourceLedger_whenCopied_thenRefusedBeforeAnythingIsWritten() throws {
        let cli = try CLI(.sqlite)
        defer { cli.cleanUp() }
        try fill(cli)
        _ = try cli.sqlite(
            """
            DROP TRIGGER credit_transactions_no_update;
            UPDATE credit_transactions SET balance_after = balance_after + 1 WHERE id = (SELECT min(id) FROM credit_transactions);
            """)
        let target = cli.directory.appendingPathComponent("to.db").path
        let result = try copy(cli, from: cli.database, to: target)
        #expect(result.status == 1)
        #expect(try result.jsonError()["error"] as? String == "source_ledger_broken")
        #expect(try cli.sqlite("SELECT count(*) FROM sqlite_master WHERE type = 'table'", database: target) == "0")
    }
}
