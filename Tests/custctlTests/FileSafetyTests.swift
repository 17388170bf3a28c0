import Foundation
import Testing

/// Whether files can be given to another user here (needs root, for chown).
let canChown = geteuid() == 0

/// End-to-end: files custctl writes (SPEC 5.7), as a second local user would attack them.
@Suite struct FileSafetyTests {
    private func keysOut(_ cli: CLI, _ path: String) throws -> RunResult {
        try cli.run(["seed", "--count", "3", "--keys-out", path, "--json"])
    }

    @Test func givenAKeysFileAnotherUserPreCreated_whenSeeding_then73AndItGetsNoKey() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let trap = cli.directory.appendingPathComponent("keys.jsonl").path
        FileManager.default.createFile(atPath: trap, contents: Data())
        chmod(trap, 0o666)
        if canChown { chown(trap, 65534, 65534) }
        let result = try keysOut(cli, trap)
        #expect(result.status == 73)
        #expect(try result.jsonError()["error"] as? String == "output_exists")
        #expect(try Data(contentsOf: URL(fileURLWithPath: trap)).isEmpty)
        #expect(try cli.run(["customer", "list", "--json"]).stdout.isEmpty, "nothing was seeded")
    }

    @Test func givenASymlinkAtTheKeysPath_whenSeeding_then73AndTheTargetIsUntouched() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let target = cli.directory.appendingPathComponent("elsewhere.txt").path
        try Data("theirs\n".utf8).write(to: URL(fileURLWithPath: target))
        let link = cli.directory.appendingPathComponent("keys.jsonl").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let dangling = cli.directory.appendingPathComponent("dangling.jsonl").path
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: target + ".new")
        #expect(try keysOut(cli, link).status == 73)
        #expect(try keysOut(cli, dangling).status == 73)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "theirs\n")
        #expect(!FileManager.default.fileExists(atPath: target + ".new"))
    }

    @Test(arguments: ["custctl.db", "./custctl.db", "custctl.db-wal", "custctl.db-shm", "custctl.db-lock"])
    func givenTheDatabaseAsTheKeysPath_then64AndTheDatabaseIsIntact(path: String) throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["seed", "--quiet"]).status == 0)
        let result = try keysOut(cli, path)
        #expect(result.status == 64, "\(path): \(result.stderr)")
        #expect(try cli.sqlite("PRAGMA integrity_check") == "ok")
        #expect(try cli.run(["doctor"]).status == 0)
    }

    @Test func givenANewKeysPath_whenSeeding_thenItIsCreated0600WithTheKeys() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let path = cli.directory.appendingPathComponent("keys.jsonl").path
        #expect(try keysOut(cli, path).status == 0)
        #expect(try cli.mode(path) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count >= 3)
    }

    @Test func givenASymlinkAsTheLockFile_whenACommandChangesTheSchema_then74AndTheTargetIsUntouched() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let target = cli.directory.appendingPathComponent("victim").path
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: target))
        try FileManager.default.createSymbolicLink(atPath: cli.database + "-lock", withDestinationPath: target)
        let result = try cli.run(["migrate", "--json"])
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains("symbolic link"))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep\n")
    }

    @Test func givenAnEmptyFileOpenToOthers_whenUsedAsTheDatabase_then77WithTheChmod() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        FileManager.default.createFile(atPath: cli.database, contents: Data())
        chmod(cli.database, 0o666)
        let result = try cli.run(["migrate", "--json"])
        #expect(result.status == 77)
        #expect(try result.jsonError()["error"] as? String == "untrusted_database_file")
        #expect(result.stderr.contains("chmod 600"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.database)).isEmpty)
        chmod(cli.database, 0o600)
        #expect(try cli.run(["migrate", "--quiet"]).status == 0)
    }

    @Test(.enabled(if: canChown, "needs root to give the file to another user"))
    func givenAnEmptyFileOfAnotherUser_whenUsedAsTheDatabase_then77WithTheChown() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        FileManager.default.createFile(atPath: cli.database, contents: Data())
        chmod(cli.database, 0o600)
        chown(cli.database, 65534, 65534)
        let result = try cli.run(
            ["register", "--email", "a@example.com", "--name", "A", "--password-stdin"],
            stdin: "Tr1cky-Falcon-Orbit\n")
        #expect(result.status == 77)
        #expect(result.stderr.contains("chown"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.database)).isEmpty)
    }

    @Test func givenADatabaseOthersCanRead_whenMigrated_thenAWarningAndADoctorProblem() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate", "--quiet"]).status == 0)
        chmod(cli.database, 0o644)
        let migrate = try cli.run(["migrate"])
        #expect(migrate.status == 0)
        #expect(migrate.stderr.contains("warning:") && migrate.stderr.contains("chmod 600"))
        #expect(try cli.run(["doctor"]).status == 1)
    }

    @Test func givenABackup_thenItIsANewPrivateFileAndAnExistingNameIsNeverReused() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "a@example.com", "--name", "A", "--quiet"]).status == 0)
        let rollback = try cli.run(["migrate", "rollback", "--yes", "--json"]).json()
        let backup = try #require(rollback["backup"] as? String)
        #expect(try cli.mode(cli.directory.appendingPathComponent(backup).path) == 0o600)
        #expect(
            try cli.sqlite(
                "SELECT count(*) FROM customers", database: cli.directory.appendingPathComponent(backup).path) == "1")
    }
}
