import Foundation
import Testing

/// End-to-end: what only the PostgreSQL backend has (SPEC 8): connecting, its errors, schemas,
/// privileges, locks and backups. The shared suites run everything else on both backends.
@Suite struct PostgreSQLTests {
    private let password = "Tr1cky-Falcon-Orbit\n"

    private func register(_ cli: CLI, _ email: String = "ada@example.com", environment: [String: String] = [:])
        throws -> RunResult
    {
        try cli.run(
            ["register", "--email", email, "--name", "Ada", "--password-stdin", "--json"], stdin: password,
            environment: environment)
    }

    @Test func givenAFreshDatabase_whenACommandChangesData_thenTheSchemaIsCreatedAndSaidSo() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        let result = try cli.run(
            ["register", "--email", "ada@example.com", "--name", "Ada", "--password-stdin"], stdin: password)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("created new database postgresql:///"))
        #expect(try cli.sql("SELECT count(*) FROM public.custctl_migrations") == String(try cli.migrationNames().count))
    }

    @Test func givenAFreshDatabase_whenACommandOnlyReads_then66AndNothingIsCreated() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        let result = try cli.run(["customer", "list", "--json"])
        #expect(result.status == 66)
        #expect(try result.jsonError()["error"] as? String == "database_not_found")
        #expect(try cli.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0")
    }

    @Test func givenASchemaFlag_thenEveryTableLivesInThatSchema() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli, environment: ["CUSTCTL_SCHEMA": "core"]).status == 0)
        #expect(try cli.sql("SELECT count(*) FROM core.customers") == "1")
        #expect(try cli.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0")
        let show = try cli.run(["credits", "balance", "ada@example.com", "--schema", "core", "--json"])
        #expect(try show.json()["balance"] as? Int == 0)
        // The default schema is another place: custctl does not find the customer there.
        #expect(try cli.run(["credits", "balance", "ada@example.com"]).status == 66)
    }

    /// A legacy layout with tables and columns missing (here a bare `users`) is still consolidated:
    /// what is absent counts as empty.
    @Test func givenAPartialLegacyLayout_thenCommandsRefuseItUntilMigrateConsolidatesIt() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        _ = try cli.sql(
            "CREATE TABLE public.users (id bigserial PRIMARY KEY, email text NOT NULL); "
                + "INSERT INTO public.users (email) VALUES ('Zoë@Example.com')")
        let command = try cli.run(["customer", "list", "--json"])
        #expect(command.status == 78)
        #expect(try command.jsonError()["error"] as? String == "legacy_layout")
        let dry = try cli.run(["migrate", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let counts = (try dry.json()["consolidation"] as? [String: Any])?["counts"] as? [String: Int]
        #expect(counts?["customers_from_users"] == 1)
        #expect(try cli.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "1")
        #expect(try cli.run(["migrate", "--no-backup", "--quiet"]).status == 0)
        let zoe = try cli.run(["customer", "show", "zoë@example.com", "--json"])
        #expect(try zoe.json()["name"] as? String == "Zoë", "\(zoe.stderr)")
    }

    /// Legacy columns in other types than the fixture's (integer flags, text metadata and instants, an
    /// integer id) are read in one type each: text metadata that is not JSON counts as not an object.
    @Test func givenLegacyColumnsInOtherTypes_whenMigrated_thenReadAsTheirMeaning() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        _ = try cli.sql(
            """
            CREATE TABLE public.customers (id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL,
              active smallint DEFAULT 1, metadata text DEFAULT '{}', payment_method_added integer DEFAULT 0,
              inserted_at text NOT NULL, updated_at text NOT NULL);
            INSERT INTO public.customers VALUES (1, 'Ada', 'ada@example.com', 0, '{"tier":"gold"}', 1,
              '2024-06-01T00:00:00Z', '2024-06-02 10:00:00');
            INSERT INTO public.customers VALUES (2, 'Bob', 'bob@example.com', 1, 'not json', 0,
              '2024-07-01T00:00:00Z', '2024-07-01T00:00:00Z');
            """)
        let run = try cli.run(["migrate", "--no-backup", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let ada = try cli.run(["customer", "show", "1", "--json"]).json()
        #expect(ada["active"] as? Bool == false)
        #expect(ada["metadata"] as? [String: String] == ["tier": "gold", "source": "legacy"])
        #expect(ada["created_at"] as? String == "2024-06-01T00:00:00.000Z")
        #expect(ada["payment_method_added_at"] as? String == "2024-06-02T10:00:00.000Z")
        let bob = try cli.run(["customer", "show", "2", "--json"]).json()
        #expect(bob["active"] as? Bool == true && bob["metadata"] as? [String: String] == ["source": "legacy"])
        #expect(try cli.sql("SELECT row_json FROM public.legacy_archive WHERE source_id = 2").contains("not json"))
    }

    @Test func givenAPasswordInTheDatabaseFlag_then64AndNoConnection() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        let server = try PostgresServer.shared()
        let uri = "postgresql://someone:Secret-Word-42@localhost/db?host=\(server.directory)"
        let result = try cli.run(["customer", "list", "--database", uri, "--json"])
        #expect(result.status == 64)
        #expect(try result.jsonError()["error"] as? String == "password_in_arguments")
        #expect(!result.stderr.contains("Secret-Word-42"))
    }

    @Test func givenAPasswordInTheEnvironmentURI_thenItConnects() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        let server = try PostgresServer.shared()
        let name = String(cli.database.dropFirst("postgresql:///".count).prefix { $0 != "?" })
        let uri =
            "postgresql://\(PostgresServer.passwordRole):\(PostgresServer.passwordRolePassword)@/\(name)?host=\(server.directory)"
        #expect(try register(cli, environment: ["CUSTCTL_DATABASE": uri]).status == 0)
    }

    @Test func givenAWrongPassword_then77OnceAndThePasswordIsNeverPrinted() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        let server = try PostgresServer.shared()
        let uri = "postgresql://\(PostgresServer.passwordRole)@/postgres?host=\(server.directory)"
        let result = try cli.run(
            ["customer", "list", "--database", uri], environment: ["PGPASSWORD": "Wrong-Horse-Battery"])
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("password authentication failed"))
        #expect(result.stderr.components(separatedBy: "password authentication failed").count == 2)
        #expect(!result.stderr.contains("Wrong-Horse-Battery"))
        let json = try cli.run(
            ["customer", "list", "--database", uri, "--json"], environment: ["PGPASSWORD": "Wrong-Horse-Battery"])
        #expect(try json.jsonError()["error"] as? String == "database_auth_failed")
    }

    @Test func givenNoServerAtTheSocket_then69() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        let result = try cli.run(
            ["customer", "list", "--database", "postgresql:///db?host=/nonexistent-socket-dir", "--json"])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(try result.jsonError()["error"] as? String == "database_unreachable")
    }

    @Test func givenNoSuchDatabase_then74() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        let server = try PostgresServer.shared()
        let result = try cli.run(["customer", "list", "--database", server.uri("no_such_db"), "--json"])
        #expect(result.status == 74, "\(result.stderr)")
        #expect((try result.jsonError()["message"] as? String ?? "").contains("no_such_db"))
    }

    @Test func givenARoleWithoutPrivileges_then74NamingWhatIsMissing() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        let role = "reader_" + UUID().uuidString.prefix(8).lowercased()
        _ = try cli.sql("CREATE ROLE \(role) LOGIN")
        let result = try cli.run(
            ["customer", "list", "--json"], environment: ["CUSTCTL_DATABASE": cli.database + "&user=\(role)"])
        #expect(result.status == 74, "\(result.stderr)")
        #expect((try result.jsonError()["message"] as? String ?? "").contains("permission denied for table"))
    }

    @Test func givenARowLockedByAnotherSession_whenTheBusyTimeoutPasses_then75() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        #expect(try cli.run(["credits", "grant", "ada@example.com", "5", "--source", "manual"]).status == 0)
        let holder = try SQLShell(psql: cli.database)
        defer { holder.close() }
        try holder.execute("BEGIN; SELECT id FROM public.customers FOR UPDATE;")
        let result = try cli.run([
            "credits", "consume", "ada@example.com", "--fix-id", "f1", "--busy-timeout", "0.5", "--json",
        ])
        #expect(result.status == 75, "\(result.stderr)")
        #expect(try result.jsonError()["error"] as? String == "database_busy")
        holder.close()
        #expect(try cli.run(["credits", "balance", "ada@example.com", "--json"]).json()["balance"] as? Int == 5)
    }

    /// Makes the next `failures` ledger inserts fail with a deadlock (40P01); a sequence counts them,
    /// since it is not rolled back with the failed transaction.
    private func injectDeadlocks(_ cli: CLI, failures: Int) throws {
        _ = try cli.sql(
            """
            CREATE SEQUENCE public.injected_deadlocks;
            CREATE FUNCTION public.inject_deadlock() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF nextval('public.injected_deadlocks') <= \(failures) THEN
                RAISE EXCEPTION 'injected deadlock' USING ERRCODE = '40P01';
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER inject_deadlock BEFORE INSERT ON public.credit_transactions
              FOR EACH ROW EXECUTE FUNCTION public.inject_deadlock();
            """)
    }

    @Test func givenDeadlocks_whenFewerThanTheRetries_thenTheChangeAppliesOnce() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        try injectDeadlocks(cli, failures: 2)
        let grant = try cli.run(["credits", "grant", "ada@example.com", "5", "--source", "manual", "--json"])
        #expect(grant.status == 0, "\(grant.stderr)")
        #expect(try cli.sql("SELECT count(*) FROM public.credit_transactions") == "1")
        #expect(try cli.sql("SELECT count(*) FROM public.audit_log WHERE action = 'credits.grant'") == "1")
    }

    @Test func givenDeadlocksThatDoNotEnd_thenBusyAfterTheRetriesAndNothingChanged() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        try injectDeadlocks(cli, failures: 1000)
        let grant = try cli.run(["credits", "grant", "ada@example.com", "5", "--source", "manual", "--json"])
        #expect(grant.status == 75, "\(grant.stderr)")
        #expect(try grant.jsonError()["error"] as? String == "database_busy")
        #expect(try cli.sql("SELECT last_value FROM public.injected_deadlocks") == "5")
        #expect(try cli.sql("SELECT count(*) FROM public.credit_transactions") == "0")
    }

    @Test func givenServerNotices_thenTheyShowOnlyWithVerbose() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        // A second `migrate` has nothing to do; CREATE SCHEMA IF NOT EXISTS on an existing schema notices.
        _ = try cli.sql("CREATE SCHEMA extra")
        let quiet = try cli.run(["migrate", "--schema", "extra"])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(!quiet.stderr.contains("NOTICE") && !quiet.stderr.contains("server:"))
        _ = try cli.sql("DROP SCHEMA extra CASCADE; CREATE SCHEMA extra")
        let verbose = try cli.run(["migrate", "--schema", "extra", "--verbose"])
        #expect(verbose.status == 0, "\(verbose.stderr)")
        #expect(verbose.stderr.contains("server: NOTICE"), "\(verbose.stderr)")
    }

    @Test func givenPendingMigrationsOnADatabaseWithData_thenMigrateWritesAPrivatePgDumpFirst() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        #expect(try cli.run(["migrate", "rollback", "--steps", "1", "--no-backup", "--yes"]).status == 0)
        let result = try cli.run(["migrate", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let backup = try #require(try result.json()["backup"] as? String)
        let path = backup.hasPrefix("/") ? backup : cli.directory.appendingPathComponent(backup).path
        #expect(try cli.mode(path) == 0o600)
        let header = try #require(FileManager.default.contents(atPath: path)).prefix(5)
        #expect(String(decoding: header, as: UTF8.self) == "PGDMP")
    }

    @Test func givenPublicGrants_thenDoctorReportsThem() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        #expect(try cli.run(["doctor"]).status == 0)
        _ = try cli.sql("GRANT SELECT ON public.customers TO PUBLIC")
        let result = try cli.run(["doctor", "--json"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("public_grants"), "\(result.stdout)")
    }

    @Test func givenAmcheckInstalled_thenDoctorChecksEveryIndexWithIt() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        let without = try cli.run(["doctor", "--json"])
        #expect(!without.stdout.contains("amcheck"), "\(without.stdout)")
        _ = try cli.sql("CREATE EXTENSION amcheck")
        let with = try cli.run(["doctor", "--json"])
        #expect(with.status == 0, "\(with.stdout)")
        #expect(with.stdout.contains("amcheck"), "\(with.stdout)")
    }

    @Test func givenADisabledLedgerTrigger_thenDoctorReportsIt() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        _ = try cli.sql("ALTER TABLE public.credit_transactions DISABLE TRIGGER credit_transactions_no_update")
        let result = try cli.run(["doctor"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("trigger credit_transactions_no_update is disabled"), "\(result.stdout)")
    }

    @Test func givenALedgerChangedBehindCustctl_thenDoctorNamesTheBrokenChainAndLots() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        #expect(try cli.run(["credits", "grant", "ada@example.com", "5", "--source", "manual"]).status == 0)
        _ = try cli.sql(
            """
            ALTER TABLE public.credit_transactions DISABLE TRIGGER USER;
            UPDATE public.credit_transactions SET balance_after = 50, amount = 50;
            ALTER TABLE public.credit_transactions ENABLE TRIGGER USER;
            """)
        let result = try cli.run(["doctor"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("ledger_lots"), "\(result.stdout)")
        #expect(result.stdout.contains("balance 50 but its grants hold 5"), "\(result.stdout)")
    }

    @Test func givenTheLedger_whenUpdatedBehindCustctl_thenTheServerRefuses() throws {
        let cli = try CLI(.postgresql)
        defer { cli.cleanUp() }
        #expect(try register(cli).status == 0)
        #expect(try cli.run(["credits", "grant", "ada@example.com", "5", "--source", "manual"]).status == 0)
        #expect(throws: (any Error).self) { try cli.sql("UPDATE public.credit_transactions SET amount = 500") }
        #expect(throws: (any Error).self) { try cli.sql("DELETE FROM public.credit_transactions") }
        #expect(try cli.sql("SELECT sum(amount) FROM public.credit_transactions") == "5")
    }
}
