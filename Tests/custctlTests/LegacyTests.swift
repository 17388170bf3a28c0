import Foundation
import Testing

/// End-to-end: consolidating legacy databases with the built binary.
@Suite struct LegacyEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A legacy database of one backend and the way to address it: on PostgreSQL the legacy layout is
    /// in schema `core`, as in the seeds' production database.
    struct Legacy {
        let cli: CLI
        var onPostgreSQL: Bool { cli.backend == .postgresql }
        /// What names a legacy table in SQL: `core.` on PostgreSQL.
        var schema: String { onPostgreSQL ? "core." : "" }

        /// Runs custctl on the database (schema core on PostgreSQL).
        func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws
            -> RunResult
        {
            try start(arguments, stdin: stdin, environment: environment).wait()
        }

        func start(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws
            -> Running
        {
            try cli.start(
                arguments, stdin: stdin,
                environment: environment.merging(onPostgreSQL ? ["CUSTCTL_SCHEMA": "core"] : [:]) { $1 })
        }

        func sql(_ text: String) throws -> String { try cli.sql(text) }

        /// The schema as the database declares it: `pg_dump --schema-only` of core, or sqlite_master.
        func declaredSchema() throws -> String {
            guard let uri = cli.postgresURI else {
                return try cli.sqlite("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
            }
            return try PostgresServer.output("/usr/bin/pg_dump", ["--schema-only", "--schema=core", "--dbname", uri])
                .split(separator: "\n").filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
                .joined(separator: "\n")
        }

        /// The layout `migrate status` reports.
        func layout() throws -> String? {
            try run(["migrate", "status", "--json"]).json()["layout"] as? String
        }
    }

    /// The small fixture (every rule and conflict) in `backend`'s form.
    private func small(_ backend: Backend) throws -> Legacy {
        let cli = try CLI(backend)
        let name = backend == .postgresql ? "small-postgresql.sql" : "small.sql"
        try cli.load(String(contentsOf: Self.root.appendingPathComponent("fixtures/legacy/" + name), encoding: .utf8))
        return Legacy(cli: cli)
    }

    /// `scripts/gen-legacy.py count`, in PostgreSQL's form for that backend.
    private func generated(_ count: Int, _ backend: Backend) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", Self.root.appendingPathComponent("scripts/gen-legacy.py").path, String(count)]
            + (backend == .postgresql ? ["--postgresql"] : [])
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(arguments: Backend.allCases)
    func givenTheSmallFixture_whenMigrated_thenReportedConsolidatedAndProduction(_ backend: Backend) throws {
        let legacy = try small(backend)
        defer { legacy.cli.cleanUp() }
        let dry = try legacy.run(["migrate", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try dry.json()["backup_holds_legacy_secrets"] as? Bool == false)
        #expect(try legacy.run(["customer", "list"]).status == 78)
        let run = try legacy.run(["migrate", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        // The backup is the legacy database as it was, plaintext keys included (SPEC 9): migrate says so.
        let backup = legacy.cli.directory.appendingPathComponent(try #require(try run.json()["backup"] as? String)).path
        #expect(try run.json()["backup_holds_legacy_secrets"] as? Bool == true)
        let saved =
            backend == .postgresql
            ? try PostgresServer.output("/usr/bin/pg_restore", ["--data-only", "-f", "-", backup])
            : try String(contentsOfFile: backup, encoding: .isoLatin1)
        #expect(saved.contains("sk_live_ada_inline_0001"))
        let report = try #require(try run.json()["consolidation"] as? [String: Any])
        #expect((report["counts"] as? [String: Int])?["customers"] == 5)
        #expect((report["conflicts"] as? [[String: Any]])?.count == 6)
        #expect(try run.json()["environment"] as? String == "production")
        #expect(try legacy.run(["migrate", "status", "--check"]).status == 0)
        #expect(try legacy.run(["apikey", "verify"], stdin: "sk_live_ada_inline_0001\n").status == 0)
        #expect(try legacy.run(["seed"]).status == 78)
        #expect(try legacy.run(["migrate", "rollback", "--yes", "--all"]).status == 78)
        #expect(try legacy.run(["migrate", "--mark", "staging"]).status == 0)
        // The dry run says exactly what the real run does: every migration, and the six keys.
        let dryRollback = try legacy.run([
            "migrate", "rollback", "--dry-run", "--to", "008_create_provision_requests", "--json",
        ])
        #expect(dryRollback.status == 0, "\(dryRollback.stderr)")
        #expect(try legacy.layout() == "custctl")
        let rollback = try legacy.run([
            "migrate", "rollback", "--yes", "--to", "008_create_provision_requests", "--json",
        ])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        if backend == .postgresql {
            // The backup before the rollback holds the archived legacy tables too (schema core_legacy).
            let before = legacy.cli.directory.appendingPathComponent(
                try #require(try rollback.json()["backup"] as? String)
            ).path
            let listing = try PostgresServer.output("/usr/bin/pg_restore", ["--list", before])
            #expect(listing.contains("TABLE core_legacy customers"), "\(listing)")
        }
        #expect(try dryRollback.json()["reverted"] as? [String] == (try rollback.json()["reverted"] as? [String]))
        #expect((try dryRollback.json()["unrecoverable"] as? [[String: Any]])?.count == 6)
        #expect(
            (try dryRollback.json()["unrecoverable"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }
                == (try rollback.json()["unrecoverable"] as? [[String: Any]])?.compactMap { $0["id"] as? Int })
        #expect(((try rollback.json()["legacy"] as? [String: Any])?["keys_not_restored"] as? [Any])?.count == 6)
        #expect(try legacy.layout() == "legacy")
        #expect(try legacy.sql("SELECT count(*) FROM \(legacy.schema)customers") == "6")
    }

    /// SPEC 6's rules, checked through the commands an operator uses, then the exact rollback: every
    /// legacy row and the declared schema come back, plaintext keys as `sha256:<hex>`.
    @Test(arguments: Backend.allCases)
    func givenTheSmallFixture_whenConsolidated_thenEveryRuleHoldsAndRollbackRestoresEveryRow(_ backend: Backend)
        throws
    {
        let legacy = try small(backend)
        defer { legacy.cli.cleanUp() }
        let tables = ["users", "users_tokens", "customers", "api_keys", "forge_accounts", "fix_attempts"]
        func rows() throws -> [String] {
            try tables.map { try legacy.sql("SELECT * FROM \(legacy.schema)\($0) ORDER BY id") }
                + (legacy.onPostgreSQL
                    ? [
                        try legacy.sql(
                            "SELECT sequencename || ' ' || last_value FROM pg_sequences WHERE schemaname = 'core' ORDER BY 1"
                        )
                    ] : [])
        }
        let before = try rows()
        let schemaBefore = try legacy.declaredSchema()
        let migrate = try legacy.run(["migrate", "--quiet", "--no-backup"])
        #expect(migrate.status == 0, "\(migrate.stderr)")

        // Rule 1: ids, kept fields, created_at, metadata.source; rule 5: dates from the dead flags.
        let ada = try legacy.run(["customer", "show", "1", "--json"]).json()
        #expect(ada["email"] as? String == "Ada@Example.com" && ada["email_normalized"] as? String == "ada@example.com")
        #expect(ada["created_at"] as? String == "2024-06-01T00:00:00.000Z")
        #expect(ada["metadata"] as? [String: String] == ["source": "direct"])
        let alice = try legacy.run(["customer", "show", "3", "--json"]).json()
        #expect(alice["metadata"] as? [String: String] == ["tier": "gold", "source": "legacy"])
        #expect(alice["payment_method_added_at"] as? String == "2024-08-05T00:00:00.000Z")
        #expect(alice["stripe_customer_id"] as? String == "cus_A1")
        let dan = try legacy.run(["customer", "show", "6", "--json"]).json()
        #expect(dan["active"] as? Bool == false && dan["metadata"] as? [String: String] == ["source": "legacy"])
        #expect(dan["trial_expired_at"] as? String == "2024-11-02T00:00:00.000Z")
        // Rule 6: the newer duplicate is archived.
        #expect(try legacy.run(["customer", "show", "2"]).status == 67)
        #expect(
            try legacy.sql(
                "SELECT conflict FROM \(legacy.schema)legacy_archive WHERE source_table = 'customers' AND source_id = 2"
            )
                == "duplicate email of customer 1")

        // Rule 2: every key string keeps authenticating; only hashes are stored, nowhere a plaintext key.
        for (key, owner) in [
            ("sk_live_ada_inline_0001", "Ada@Example.com"), ("sk_live_ada_dup_0002", "Ada@Example.com"),
            ("sk_live_carol_shared_05", "carol@example.com"),
        ] {
            let verified = try legacy.run(["apikey", "verify", "--json"], stdin: key + "\n")
            #expect(try verified.json()["email"] as? String == owner, "\(key): \(verified.stderr)")
        }
        #expect(try legacy.run(["apikey", "verify"], stdin: "sk_live_bob_0001\n").status == 77)  // inactive in legacy
        #expect((try legacy.run(["customer", "show", "5", "--json"]).json()["api_keys"] as? [Any])?.count == 1)
        #expect(
            try legacy.sql(
                "SELECT count(*) FROM \(legacy.schema)legacy_archive WHERE row_json LIKE '%sk\\_live%' OR row_sql LIKE '%sk\\_live%'"
            ) == "0")
        if legacy.onPostgreSQL {
            #expect(
                try legacy.sql(
                    "SELECT (SELECT count(*) FROM core_legacy.customers WHERE api_key LIKE 'sk%') + (SELECT count(*) FROM core_legacy.api_keys WHERE key LIKE 'sk%')"
                ) == "0")
        }

        // Rules 3 and 6: forge accounts without duplicates.
        let forges = try legacy.run(["forge", "list", "--json"]).jsonLines().map {
            "\($0["forge_type"] as? String ?? "?"):\(($0["namespace"] as? String ?? "?").lowercased())"
        }
        #expect(forges.sorted() == ["github:ada-labs", "gitlab:alice/tools"])

        // Rule 4: users merge ($2y$ kept, upgraded at the next login); a user without a customer becomes one.
        // (A production database refuses the tests' bcrypt cost 4.)
        let production = ["CUSTCTL_BCRYPT_COST": "10"]
        let login = try legacy.run(
            ["login", "--email", "ÄLICE@example.com", "--password-stdin"], stdin: "Tr1cky-Falcon-Orbit\n",
            environment: production)
        #expect(login.status == 0, "\(login.stderr)")
        let grace = try legacy.run(["customer", "show", "grace@example.com", "--json"]).json()
        #expect(grace["name"] as? String == "grace" && grace["confirmed_at"] as? String == "2025-02-01T00:00:00.000Z")
        #expect((grace["metadata"] as? [String: Any])?["source"] as? String == "legacy_user")
        // Identities continue after the legacy ids.
        let registered = try legacy.run(
            ["register", "--email", "new@example.com", "--name", "New", "--password-stdin", "--json"],
            stdin: "Quiet-Harbor-Lantern-7\n", environment: production)
        #expect(try registered.json()["customer_id"] as? Int == 8, "\(registered.stdout)\(registered.stderr)")

        // Rule 7: fix_attempts stay (the duplicate's follows the kept customer).
        #expect(try legacy.sql("SELECT customer_id FROM \(legacy.schema)fix_attempts ORDER BY id") == "1\n1")
        if !legacy.onPostgreSQL {  // the sqlite3 shell made the fixture's file with the umask's mode
            for suffix in ["", "-wal", "-shm"] { chmod(legacy.cli.database + suffix, 0o600) }
        }
        let doctor = try legacy.run(["doctor", "--json"])
        #expect(doctor.status == 0, "\(doctor.stdout)")

        // Rule 9: rollback gives the legacy tables back exactly, but for plaintext keys.
        #expect(try legacy.run(["migrate", "--mark", "staging"]).status == 0)
        let rollback = try legacy.run(["migrate", "rollback", "--all", "--yes", "--no-backup", "--json"])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        let unrestored = ((try rollback.json()["legacy"] as? [String: Any])?["keys_not_restored"] as? [[String: Any]])?
            .map { "\($0["table"] as? String ?? "?") \($0["id"] as? Int ?? 0)" }
        #expect(
            Set(unrestored ?? []) == [
                "customers 1", "customers 2", "customers 5", "api_keys 1", "api_keys 2", "api_keys 3",
            ])
        #expect(try legacy.layout() == "legacy")
        var expected = before
        for key in [
            "sk_live_ada_inline_0001", "sk_live_ada_dup_0002", "sk_live_carol_shared_05", "sk_live_bob_0001",
            "sk_live_orphan_0003",
        ] {
            let hashed = "sha256:" + (try sha256(key))
            expected = expected.map { $0.replacingOccurrences(of: key, with: hashed) }
        }
        let after = try rows()
        for (index, table) in (tables + ["sequences"]).enumerated() where index < after.count {
            #expect(after[index] == expected[index], "\(table)")
        }
        #expect(try legacy.declaredSchema() == schemaBefore)
    }

    @Test(arguments: Backend.allCases)
    func givenALargeLegacyDatabase_whenMigrateIsKilled_thenItIsEitherUntouchedOrFullyConsolidated(_ backend: Backend)
        throws
    {
        let legacy = Legacy(cli: try CLI(backend))
        let cli = legacy.cli
        defer { cli.cleanUp() }
        let count = ProcessInfo.processInfo.environment["CUSTCTL_LONG_TESTS"] == nil ? 20_000 : 100_000
        try cli.load(generated(count, backend))
        // The legacy database as it was, to start each run from: a copy of the file, or a template database.
        let pristine: String
        if let name = cli.postgresDatabaseName {
            pristine = name + "_pristine"
            _ = try PostgresServer.shared().psql(database: "postgres", "CREATE DATABASE \(pristine) TEMPLATE \(name)")
        } else {
            pristine = cli.directory.appendingPathComponent("pristine.db").path
            try FileManager.default.copyItem(atPath: cli.database, toPath: pristine)
        }
        func restorePristine() throws {
            if let name = cli.postgresDatabaseName {
                let server = try PostgresServer.shared()
                _ = try server.psql(database: "postgres", "DROP DATABASE \(name) WITH (FORCE)")
                _ = try server.psql(database: "postgres", "CREATE DATABASE \(name) TEMPLATE \(pristine)")
            } else {
                for suffix in ["", "-wal", "-shm"] {
                    try? FileManager.default.removeItem(atPath: cli.database + suffix)
                }
                try FileManager.default.copyItem(atPath: pristine, toPath: cli.database)
            }
        }
        defer {
            if backend == .postgresql {
                _ = try? PostgresServer.shared().psql(database: "postgres", "DROP DATABASE IF EXISTS \(pristine)")
            }
        }
        // How long a whole consolidation takes here, so the kills land before, during and after it.
        let started = Date()
        #expect(try legacy.run(["migrate", "--no-backup"]).status == 0)
        let duration = Date().timeIntervalSince(started)
        var outcomes: [String] = []
        for fraction in [0.1, 0.4, 0.7, 0.95, 1.5] {
            try restorePristine()
            let running = try legacy.start(["migrate", "--no-backup"])
            usleep(UInt32(duration * fraction * 1_000_000))
            kill(running.process.processIdentifier, SIGKILL)
            _ = try running.wait()
            if let name = cli.postgresDatabaseName {
                // The server ends the killed client's session (and rolls its transaction back) on its own time.
                try waitForSessions(toEnd: name)
            } else {
                #expect(try cli.sqlite("PRAGMA integrity_check") == "ok")
            }
            let layout = try legacy.layout()
            if layout == "legacy" {
                #expect(try legacy.sql("SELECT count(*) FROM \(legacy.schema)customers") == String(count))
                #expect(try legacy.sql("SELECT count(*) FROM \(legacy.schema)api_keys") == String(count))
                let leftovers =
                    legacy.onPostgreSQL
                    ? """
                    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE (n.nspname = 'core' AND (c.relname LIKE 'custctl%' OR c.relname LIKE 'legacy%'))
                      OR n.nspname = 'core_legacy'
                    """
                    : "SELECT count(*) FROM sqlite_master WHERE name LIKE 'custctl%' OR name LIKE 'legacy%'"
                #expect(try legacy.sql(leftovers) == "0")
            } else {
                #expect(layout == "custctl")
                #expect(try legacy.run(["migrate", "status", "--check"]).status == 0)
                #expect(try legacy.sql("SELECT count(*) FROM \(legacy.schema)customers") == String(count))
                #expect(try legacy.sql("SELECT count(*) FROM \(legacy.schema)api_keys") == String(2 * count))
            }
            outcomes.append("\(fraction): \(layout ?? "?")")
        }
        // Whatever the kills hit, a later migrate finishes the job.
        #expect(try legacy.run(["migrate", "--no-backup"]).status == 0)
        #expect(try legacy.run(["apikey", "verify"], stdin: "sk_live_key_00000007\n").status == 0)
        print("consolidation kill outcomes (\(backend)): \(outcomes)")
    }

    /// SPEC 8: the consolidation waits for the application's locks no longer than lock_timeout
    /// (`--busy-timeout`): then 75, and nothing changed.
    @Test func givenTheApplicationHoldsALegacyTable_whenMigrated_thenBusyAfterTheLockTimeoutAndNothingChanged() throws {
        let legacy = try small(.postgresql)
        defer { legacy.cli.cleanUp() }
        let server = try PostgresServer.shared()
        let database = try #require(legacy.cli.postgresDatabaseName)
        let application = Process()
        application.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        application.arguments = [
            "-X", "-q", "-h", server.directory, "-U", "postgres", "-d", database, "-c",
            "BEGIN; SELECT count(*) FROM core.customers; SELECT pg_sleep(60); COMMIT",
        ]
        application.standardOutput = FileHandle.nullDevice
        try application.run()
        defer { application.terminate() }
        var holding = false
        for _ in 0..<100 where !holding {
            holding =
                try legacy.sql(
                    """
                    SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                    WHERE c.relname = 'customers' AND l.granted AND l.pid <> pg_backend_pid()
                    """) != "0"
            if !holding { usleep(100_000) }
        }
        #expect(holding)
        let started = Date()
        let run = try legacy.run(["migrate", "--busy-timeout", "0.5", "--no-backup", "--json"])
        #expect(run.status == 75, "\(run.stderr)")
        #expect(try run.jsonError()["error"] as? String == "database_busy")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(try legacy.layout() == "legacy")
        #expect(try legacy.sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'core_legacy'") == "0")
        #expect(try legacy.sql("SELECT count(*) FROM core.customers") == "6")
    }

    /// The archive schema is the consolidation's own: one that exists is refused, and a rollback whose
    /// archive is gone says so; both change nothing.
    @Test func givenTheArchiveSchemaTakenOrGone_thenMigrateAndRollbackRefuseWith78() throws {
        let legacy = try small(.postgresql)
        defer { legacy.cli.cleanUp() }
        _ = try legacy.sql("CREATE SCHEMA core_legacy")
        let taken = try legacy.run(["migrate", "--no-backup", "--json"])
        #expect(taken.status == 78, "\(taken.stderr)")
        #expect(try taken.jsonError()["error"] as? String == "legacy_archive_exists")
        #expect(try legacy.layout() == "legacy")
        _ = try legacy.sql("DROP SCHEMA core_legacy")
        #expect(try legacy.run(["migrate", "--no-backup", "--quiet"]).status == 0)
        #expect(try legacy.run(["migrate", "--mark", "staging"]).status == 0)
        _ = try legacy.sql("DROP SCHEMA core_legacy CASCADE")
        let gone = try legacy.run(["migrate", "rollback", "--all", "--yes", "--no-backup", "--json"])
        #expect(gone.status == 78, "\(gone.stderr)")
        #expect(try gone.jsonError()["error"] as? String == "legacy_archive_missing")
        #expect(try legacy.layout() == "custctl")
        #expect(try legacy.sql("SELECT count(*) FROM core.customers") == "6")
    }

    /// Waits until no session is connected to PostgreSQL database `name` (at most 30 seconds).
    private func waitForSessions(toEnd name: String) throws {
        let server = try PostgresServer.shared()
        for _ in 0..<300 {
            let sessions = try server.psql(
                database: "postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(name)'")
            if sessions == "0" { return }
            usleep(100_000)
        }
        Issue.record("sessions on \(name) did not end")
    }

    /// SPEC 5.5 on consolidated keys: found, a 10-character legacy key was recovered from its listed
    /// 8-character prefix, and `apikey revoke sk_live_` revoked an arbitrary key.
    @Test(arguments: Backend.allCases)
    func givenConsolidatedLegacyKeys_thenPrefixesShowAQuarterAndSharedPrefixesAreAmbiguous(_ backend: Backend) throws {
        let legacy = try small(backend)
        defer { legacy.cli.cleanUp() }
        let legacyKeys = try legacy.sql(
            "SELECT key FROM \(legacy.schema)api_keys UNION SELECT api_key FROM \(legacy.schema)customers WHERE api_key <> ''"
        )
        .split(separator: "\n").map(String.init)
        #expect(try legacy.run(["migrate", "--quiet", "--no-backup"]).status == 0)
        let listed = try legacy.run(["apikey", "list", "--json"]).jsonLines()
        #expect(listed.count >= 2)
        var checked = 0
        for key in legacyKeys {
            let row = try legacy.sql(
                "SELECT 'row:' || prefix FROM \(legacy.schema)api_keys WHERE key_hash = '\(try sha256(key))'")
            guard row.hasPrefix("row:") else { continue }  // an orphan's key is archived, not consolidated
            let prefix = String(row.dropFirst(4))
            #expect(key.hasPrefix(prefix), "\(key)")
            #expect(prefix.count <= key.count / 4, "\(key): \(prefix)")
            checked += 1
        }
        #expect(checked >= 4)
        #expect(listed.allSatisfy { ["active", "expired", "revoked"].contains($0["status"] as? String ?? "") })
        #expect(listed.allSatisfy { ($0["customer_email"] as? String)?.contains("@") == true })
        let unrevoked = "SELECT count(*) FROM \(legacy.schema)api_keys WHERE revoked_at IS NULL"
        let before = try legacy.sql(unrevoked)
        let ambiguous = try legacy.run(["apikey", "revoke", "sk_live_", "--json"])
        #expect(ambiguous.status == 65, "\(ambiguous.stderr)")
        #expect(try ambiguous.jsonError()["error"] as? String == "ambiguous_key")
        #expect((try ambiguous.jsonError()["candidates"] as? [Any])?.count ?? 0 >= 2)
        #expect(try legacy.sql(unrevoked) == before)
        // The whole key names its key exactly.
        #expect(try legacy.run(["apikey", "revoke", "sk_live_ada_inline_0001"]).status == 0)
    }

    /// The hex SHA-256 of `text`, from the system's sha256sum (independent of the code under test).
    private func sha256(_ text: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}
