import Foundation
import Testing

/// End-to-end: `custctl seed`.
@Suite struct SeedEndToEndTests {
    @Test(arguments: Backend.allCases) func givenAFreshDatabase_whenSeededTwice_thenTheSecondRunChangesNothing(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let keys = cli.directory.appendingPathComponent("keys.jsonl").path
        let first = try cli.run(
            ["seed", "--keys-out", keys, "--json"], environment: ["CUSTCTL_ADMIN_PASSWORD": "Tr1cky-Falcon-Orbit"])
        #expect(first.status == 0)
        let report = try first.json()
        #expect((report["created"] as? [String])?.count == 7)
        #expect((report["passwords"] as? [[String: String]])?.map { $0["email"] } == ["reader@example.com"])
        #expect((report["api_keys"] as? [Any])?.isEmpty == true)
        #expect(try cli.mode(keys) == 0o600)
        let lines = try String(contentsOfFile: keys, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        let login = try cli.run(
            ["login", "--email", "admin@example.com", "--password-stdin", "--json"], stdin: "Tr1cky-Falcon-Orbit\n")
        #expect(try login.json()["admin_level"] as? String == "full")
        let before = try cli.sql("SELECT count(*), max(updated_at) FROM customers")
        let second = try cli.run(["seed", "--json"])
        #expect(second.status == 0)
        #expect((try second.json()["skipped"] as? [String])?.count == 7)
        #expect(try cli.sql("SELECT count(*), max(updated_at) FROM customers") == before)
        #expect(try cli.run(["credits", "balance", "pro@example.com"]).stdout == "60\n")
    }

    @Test(arguments: Backend.allCases) func givenSyntheticCustomers_whenCleaned_thenOthersStay(_ backend: Backend)
        throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "real@example.com", "--name", "Real"]).status == 0)
        let seeded = try cli.run(["seed", "--count", "200", "--random-seed", "9", "--json"])
        #expect(seeded.status == 0)
        #expect(try seeded.json()["synthetic_created"] as? Int == 200)
        #expect(try cli.sql("SELECT count(DISTINCT email_normalized) FROM customers") == "208")
        let cleaned = try cli.run(["seed", "--clean", "--yes", "--json"])
        #expect(try cleaned.json()["removed"] as? Int == 207)
        #expect(try cli.sql("SELECT email FROM customers") == "real@example.com")
        #expect(try cli.sql("SELECT count(*) FROM api_keys") == "1")
    }

    @Test(arguments: Backend.allCases) func givenProduction_thenSeedingIsRefusedWith78(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate", "--mark", "production"]).status == 0)
        for arguments in [["seed"], ["seed", "--clean"], ["seed", "--reset"], ["seed", "--count", "5"]] {
            let result = try cli.run(arguments + ["--json"])
            #expect(result.status == 78, "\(arguments)")
            #expect(try result.jsonError()["error"] as? String == "production_database")
        }
        #expect(try cli.sql("SELECT count(*) FROM customers") == "0")
    }

    @Test(arguments: Backend.allCases) func givenBadSeedInput_thenTheDocumentedExitCodes(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["seed", "--file", cli.directory.appendingPathComponent("none.json").path]).status == 66)
        let bad = cli.directory.appendingPathComponent("bad.json").path
        try #"{"customers": [{"email": "a@x.io"}]}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(try cli.run(["seed", "--file", bad]).status == 65)
        #expect(try cli.run(["seed", "--reset", "--clean"]).status == 64)
        #expect(try cli.run(["seed", "--count", "-3"]).status == 64)
        #expect(try cli.sql("SELECT count(*) FROM customers") == "0")
    }
    /// Found: `seed --clean` deleted a paying customer provisioned with `--source seed`, and its ledger.
    @Test(arguments: Backend.allCases)
    func givenACustomerProvisionedWithSourceSeed_whenCleaned_thenItStaysWithItsLedger(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["seed", "--quiet"]).status == 0)
        #expect(
            try cli.run([
                "provision", "--email", "paying@example.com", "--name", "Paying", "--source", "seed", "--quiet",
            ])
            .status == 0)
        #expect(try cli.run(["credits", "grant", "paying@example.com", "50", "--source", "purchase"]).status == 0)
        let refused = try cli.run(["seed", "--clean", "--json"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--yes"))
        let cleaned = try cli.run(["seed", "--clean", "--yes", "--json"])
        #expect(try cleaned.json()["removed"] as? Int == 7)
        #expect(try cli.sql("SELECT email FROM customers") == "paying@example.com")
        #expect(try cli.run(["credits", "balance", "paying@example.com", "--json"]).json()["balance"] as? Int == 55)
        #expect(try cli.sql("SELECT count(*) FROM seed_runs") == "0")
        let audit = try cli.run(["audit", "list", "--json"]).jsonLines().compactMap { $0["action"] as? String }
        #expect(audit.contains("seed.run") && audit.contains("seed.clean"))
    }

    /// Every plan customer as the default plan says, or none of them (flags as 1/0 on both backends; rows
    /// joined here, as SQLite's group_concat and PostgreSQL's string_agg differ).
    private func planState(_ cli: CLI) throws -> String {
        try cli.sql(
            """
            SELECT email_normalized || ':' || CASE WHEN is_staff THEN 1 ELSE 0 END || ':' || coalesce(admin_level, '-')
              || ':' || CASE WHEN active THEN 1 ELSE 0 END || ':' || subscription_plan FROM customers
              WHERE email_normalized IN ('admin@example.com', 'reader@example.com', 'inactive@example.com',
                'pro@example.com') ORDER BY email_normalized
            """
        ).split(separator: "\n").joined(separator: " ")
    }

    /// Found: a seed killed mid-plan left, after a re-run that exited 0, an admin that is not staff,
    /// an "inactive" customer that is active and a Pro customer not on Pro.
    @Test(arguments: Backend.allCases) func givenSeedKilledAtAnyPoint_thenThePlanIsWholeOrAbsentAndARerunCompletesIt(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let expected =
            "admin@example.com:1:full:1:pay_as_you_go inactive@example.com:0:-:0:pay_as_you_go "
            + "pro@example.com:0:-:1:pro reader@example.com:1:read_only:1:pay_as_you_go"
        let environment = ["CUSTCTL_ADMIN_PASSWORD": "Tr1cky-Falcon-Orbit", "CUSTCTL_BCRYPT_COST": "10"]
        // How long the plan takes here, so the kills land before, during and after it.
        let started = Date()
        #expect(try cli.run(["seed", "--quiet"], environment: environment).status == 0)
        let planTime = Date().timeIntervalSince(started)
        #expect(try planState(cli) == expected)
        var outcomes: [String] = []
        for trial in 0..<10 {
            let wipe = try cli.run(["seed", "--reset", "--no-plan", "--yes", "--quiet"], environment: environment)
            #expect(wipe.status == 0, "\(wipe.stderr)")
            #expect(try planState(cli) == "")
            let running = try cli.start(["seed", "--count", "500", "--quiet"], environment: environment)
            usleep(useconds_t(planTime * Double(trial) / 6 * 1_000_000))
            kill(running.process.processIdentifier, SIGKILL)
            _ = try running.wait()
            let state = try planState(cli)
            #expect(state == "" || state == expected, "trial \(trial): \(state)")
            outcomes.append(state.isEmpty ? "none" : "whole")
            #expect(try cli.run(["seed", "--quiet"], environment: environment).status == 0)
            #expect(try planState(cli) == expected, "after the re-run of trial \(trial)")
            #expect(try cli.run(["doctor"]).status == 0, "trial \(trial)")
        }
        print("seed kill outcomes: \(outcomes)")
    }
}
