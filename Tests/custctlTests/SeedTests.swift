import Foundation
import Testing

/// End-to-end: `custctl seed`.
@Suite struct SeedEndToEndTests {
    @Test func givenAFreshDatabase_whenSeededTwice_thenTheSecondRunChangesNothing() throws {
        let cli = try CLI()
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
        let before = try cli.sqlite("SELECT count(*), max(updated_at) FROM customers")
        let second = try cli.run(["seed", "--json"])
        #expect(second.status == 0)
        #expect((try second.json()["skipped"] as? [String])?.count == 7)
        #expect(try cli.sqlite("SELECT count(*), max(updated_at) FROM customers") == before)
        #expect(try cli.run(["credits", "balance", "pro@example.com"]).stdout == "60\n")
    }

    @Test func givenSyntheticCustomers_whenCleaned_thenOthersStay() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "real@example.com", "--name", "Real"]).status == 0)
        let seeded = try cli.run(["seed", "--count", "200", "--random-seed", "9", "--json"])
        #expect(seeded.status == 0)
        #expect(try seeded.json()["synthetic_created"] as? Int == 200)
        #expect(try cli.sqlite("SELECT count(DISTINCT email_normalized) FROM customers") == "208")
        let cleaned = try cli.run(["seed", "--clean", "--json"])
        #expect(try cleaned.json()["removed"] as? Int == 207)
        #expect(try cli.sqlite("SELECT email FROM customers") == "real@example.com")
        #expect(try cli.sqlite("SELECT count(*) FROM api_keys") == "1")
    }

    @Test func givenProduction_thenSeedingIsRefusedWith78() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate", "--mark", "production"]).status == 0)
        for arguments in [["seed"], ["seed", "--clean"], ["seed", "--reset"], ["seed", "--count", "5"]] {
            let result = try cli.run(arguments + ["--json"])
            #expect(result.status == 78, "\(arguments)")
            #expect(try result.jsonError()["error"] as? String == "production_database")
        }
        #expect(try cli.sqlite("SELECT count(*) FROM customers") == "0")
    }

    @Test func givenBadSeedInput_thenTheDocumentedExitCodes() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["seed", "--file", cli.directory.appendingPathComponent("none.json").path]).status == 66)
        let bad = cli.directory.appendingPathComponent("bad.json").path
        try #"{"customers": [{"email": "a@x.io"}]}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(try cli.run(["seed", "--file", bad]).status == 65)
        #expect(try cli.run(["seed", "--reset", "--clean"]).status == 64)
        #expect(try cli.run(["seed", "--count", "-3"]).status == 64)
        #expect(try cli.sqlite("SELECT count(*) FROM customers") == "0")
    }
}
