import Foundation
import Testing

/// End-to-end: consolidating legacy databases with the built binary.
@Suite struct LegacyEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private func generated(_ count: Int) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.root.appendingPathComponent("scripts/gen-legacy.py").path, String(count)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func givenTheSmallFixture_whenMigrated_thenReportedConsolidatedAndProduction() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.loadSQLite(
            String(contentsOf: Self.root.appendingPathComponent("fixtures/legacy/small.sql"), encoding: .utf8)
        )
        let dry = try cli.run(["migrate", "--dry-run", "--json"])
        #expect(dry.status == 0)
        #expect(try dry.json()["backup_holds_legacy_secrets"] as? Bool == false)
        #expect(try cli.run(["customer", "list"]).status == 78)
        let run = try cli.run(["migrate", "--json"])
        #expect(run.status == 0)
        // The backup is the legacy file as it was, plaintext keys included (SPEC 9): migrate says so.
        let backup = try #require(try run.json()["backup"] as? String)
        #expect(try run.json()["backup_holds_legacy_secrets"] as? Bool == true)
        let copy = cli.directory.appendingPathComponent(backup).path
        #expect(try String(contentsOfFile: copy, encoding: .isoLatin1).contains("sk_live_ada_inline_0001"))
        let report = try #require(try run.json()["consolidation"] as? [String: Any])
        #expect((report["counts"] as? [String: Int])?["customers"] == 5)
        #expect((report["conflicts"] as? [[String: Any]])?.count == 6)
        #expect(try run.json()["environment"] as? String == "production")
        #expect(try cli.run(["migrate", "status", "--check"]).status == 0)
        #expect(try cli.run(["apikey", "verify"], stdin: "sk_live_ada_inline_0001\n").status == 0)
        #expect(try cli.run(["seed"]).status == 78)
        #expect(try cli.run(["migrate", "rollback", "--yes", "--all"]).status == 78)
        #expect(try cli.run(["migrate", "--mark", "staging"]).status == 0)
        // The dry run says exactly what the real run does: every migration, and the six keys.
        let dryRollback = try cli.run([
            "migrate", "rollback", "--dry-run", "--to", "008_create_provision_requests", "--json",
        ])
        #expect(dryRollback.status == 0)
        #expect(try cli.run(["migrate", "status", "--json"]).json()["layout"] as? String == "custctl")
        let rollback = try cli.run(["migrate", "rollback", "--yes", "--to", "008_create_provision_requests", "--json"])
        #expect(rollback.status == 0)
        #expect(try dryRollback.json()["reverted"] as? [String] == (try rollback.json()["reverted"] as? [String]))
        #expect((try dryRollback.json()["unrecoverable"] as? [[String: Any]])?.count == 6)
        #expect(
            (try dryRollback.json()["unrecoverable"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }
                == (try rollback.json()["unrecoverable"] as? [[String: Any]])?.compactMap { $0["id"] as? Int })
        #expect(((try rollback.json()["legacy"] as? [String: Any])?["keys_not_restored"] as? [Any])?.count == 6)
        #expect(try cli.run(["migrate", "status", "--json"]).json()["layout"] as? String == "legacy")
        #expect(try cli.sqlite("SELECT count(*) FROM customers") == "6")
    }

    @Test func givenALargeLegacyDatabase_whenMigrateIsKilled_thenItIsEitherUntouchedOrFullyConsolidated() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let count = ProcessInfo.processInfo.environment["CUSTCTL_LONG_TESTS"] == nil ? 20_000 : 100_000
        try cli.loadSQLite(generated(count))
        let pristine = cli.directory.appendingPathComponent("pristine.db").path
        try FileManager.default.copyItem(atPath: cli.database, toPath: pristine)
        // How long a whole consolidation takes here, so the kills land before, during and after it.
        let started = Date()
        #expect(try cli.run(["migrate", "--no-backup"]).status == 0)
        let duration = Date().timeIntervalSince(started)
        var outcomes: [String] = []
        for fraction in [0.1, 0.4, 0.7, 0.95, 1.5] {
            try? FileManager.default.removeItem(atPath: cli.database)
            try? FileManager.default.removeItem(atPath: cli.database + "-wal")
            try? FileManager.default.removeItem(atPath: cli.database + "-shm")
            try FileManager.default.copyItem(atPath: pristine, toPath: cli.database)
            let running = try cli.start(["migrate", "--no-backup"])
            usleep(UInt32(duration * fraction * 1_000_000))
            kill(running.process.processIdentifier, SIGKILL)
            _ = try running.wait()
            #expect(try cli.sqlite("PRAGMA integrity_check") == "ok")
            let layout = try cli.run(["migrate", "status", "--json"]).json()["layout"] as? String
            if layout == "legacy" {
                #expect(try cli.sqlite("SELECT count(*) FROM customers") == String(count))
                #expect(try cli.sqlite("SELECT count(*) FROM api_keys") == String(count))
                #expect(
                    try cli.sqlite(
                        "SELECT count(*) FROM sqlite_master WHERE name LIKE 'custctl%' OR name LIKE 'legacy%'") == "0")
            } else {
                #expect(layout == "custctl")
                #expect(try cli.run(["migrate", "status", "--check"]).status == 0)
                #expect(try cli.sqlite("SELECT count(*) FROM customers") == String(count))
                #expect(try cli.sqlite("SELECT count(*) FROM api_keys") == String(2 * count))
            }
            outcomes.append("\(fraction): \(layout ?? "?")")
        }
        // Whatever the kills hit, a later migrate finishes the job.
        #expect(try cli.run(["migrate", "--no-backup"]).status == 0)
        #expect(try cli.run(["apikey", "verify"], stdin: "sk_live_key_00000007\n").status == 0)
        print("consolidation kill outcomes: \(outcomes)")
    }
    /// SPEC 5.5 on consolidated keys: found, a 10-character legacy key was recovered from its listed
    /// 8-character prefix, and `apikey revoke sk_live_` revoked an arbitrary key.
    @Test func givenConsolidatedLegacyKeys_thenPrefixesShowAQuarterAndSharedPrefixesAreAmbiguous() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        try cli.loadSQLite(
            String(contentsOf: Self.root.appendingPathComponent("fixtures/legacy/small.sql"), encoding: .utf8)
        )
        let legacyKeys = try cli.sqlite(
            "SELECT key FROM api_keys UNION SELECT api_key FROM customers WHERE api_key <> ''"
        )
        .split(separator: "\n").map(String.init)
        #expect(try cli.run(["migrate", "--quiet"]).status == 0)
        let listed = try cli.run(["apikey", "list", "--json"]).jsonLines()
        #expect(listed.count >= 2)
        var checked = 0
        for key in legacyKeys {
            let row = try cli.sqlite("SELECT 'row:' || prefix FROM api_keys WHERE key_hash = '\(try sha256(key))'")
            guard row.hasPrefix("row:") else { continue }  // an orphan's key is archived, not consolidated
            let prefix = String(row.dropFirst(4))
            #expect(key.hasPrefix(prefix), "\(key)")
            #expect(prefix.count <= key.count / 4, "\(key): \(prefix)")
            checked += 1
        }
        #expect(checked >= 4)
        #expect(listed.allSatisfy { ["active", "expired", "revoked"].contains($0["status"] as? String ?? "") })
        #expect(listed.allSatisfy { ($0["customer_email"] as? String)?.contains("@") == true })
        let before = try cli.sqlite("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL")
        let ambiguous = try cli.run(["apikey", "revoke", "sk_live_", "--json"])
        #expect(ambiguous.status == 65, "\(ambiguous.stderr)")
        #expect(try ambiguous.jsonError()["error"] as? String == "ambiguous_key")
        #expect((try ambiguous.jsonError()["candidates"] as? [Any])?.count ?? 0 >= 2)
        #expect(try cli.sqlite("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL") == before)
        // The whole key names its key exactly.
        #expect(try cli.run(["apikey", "revoke", "sk_live_ada_inline_0001"]).status == 0)
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
