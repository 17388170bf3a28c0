import Foundation
import Testing

/// End-to-end: terminal manners and consistent answers for an operator at a shell (SPEC 2 and 9).
@Suite struct OperatorTests {
    @Test(arguments: Backend.allCases) func givenQuiet_thenOnlyErrorsAndSecretsArePrinted(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let migrated = try cli.run(["migrate", "--quiet"])
        #expect(migrated.stdout.isEmpty && migrated.stderr.isEmpty, "\(migrated)")
        let provisioned = try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"])
        #expect(provisioned.stderr.isEmpty)
        #expect(provisioned.stdout.hasPrefix("cck_"), "the new key is printed alone: \(provisioned.stdout)")
        #expect(provisioned.stdout.split(separator: "\n").count == 1)
        let granted = try cli.run(["credits", "grant", "ada@example.com", "3", "--source", "manual", "--quiet"])
        #expect(granted.status == 0)
        #expect(granted.stdout.isEmpty && granted.stderr.isEmpty, "\(granted)")
        let again = try cli.run(["migrate", "--quiet"])
        #expect(again.stdout.isEmpty && again.stderr.isEmpty)
        let failed = try cli.run(["credits", "balance", "nobody@example.com", "--quiet"])
        #expect(failed.status == 67)
        #expect(failed.stderr.hasPrefix("error:"))
    }

    @Test(arguments: Backend.allCases) func givenGlobalOptionsBetweenAGroupAndItsVerb_thenTheyWork(_ backend: Backend)
        throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"]).status == 0)
        let balance = try cli.run(["credits", "--json", "balance", "ada@example.com"])
        #expect(balance.status == 0, "\(balance.stderr)")
        #expect(try balance.json()["balance"] as? Int == 5)
        let other =
            backend == .sqlite
            ? cli.directory.appendingPathComponent("other.db").path : try PostgresServer.shared().createDatabase()
        #expect(try cli.run(["migrate", "--database", other, "--quiet"]).status == 0)
        #expect(try cli.run(["customer", "--database", other, "list", "--json"]).stdout.isEmpty)
    }

    @Test(
        arguments: Backend.allCases,
        [
            (["custmer", "list"], "custctl customer"), (["credits", "balanse", "x"], "custctl credits balance"),
            (["migrate", "stauts"], "custctl migrate status"),
        ])
    func givenAMistypedCommand_thenTheNearestIsSuggested(_ backend: Backend, _ mistake: ([String], String)) throws {
        let (arguments, suggestion) = mistake
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let result = try cli.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains("did you mean '\(suggestion)'"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func givenMigrateHelp_thenItsOwnOptionsAreShown() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let help = try cli.run(["migrate", "--help"]).stdout
        for option in ["--dry-run", "--mark", "--no-backup", "status", "rollback"] {
            #expect(help.contains(option), "\(option)")
        }
    }

    @Test(arguments: Backend.allCases) func givenADryRunOnANewPath_thenNoFileIsCreated(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let dry = try cli.run(["migrate", "--dry-run", "--json"])
        #expect(dry.status == 0)
        #expect((try dry.json()["applied"] as? [String])?.first == "001_create_customers")
        // Nothing was written: no file (on PostgreSQL, whose database exists already: no table).
        if backend == .sqlite {
            #expect(!FileManager.default.fileExists(atPath: cli.database))
        } else {
            #expect(try cli.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0")
        }
    }

    @Test(arguments: Backend.allCases) func givenWideCharacters_whenListedAsATable_thenColumnsAlignByDisplayWidth(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        for (email, name) in [("a@example.com", "山田太郎"), ("b@example.com", "Bob"), ("c@example.com", "Zoë 🎉")] {
            #expect(try cli.run(["provision", "--email", email, "--name", name, "--quiet"]).status == 0)
        }
        let table = try cli.run(["customer", "list"]).stdout.split(separator: "\n").map(String.init)
        #expect(table.count == 4)
        // The column after NAME (TYPE) starts at the same terminal column on every row.
        let starts = table.map { line -> Int? in
            guard let range = line.range(of: "trial") ?? line.range(of: "TYPE") else { return nil }
            return width(String(line[..<range.lowerBound]))
        }
        #expect(starts.allSatisfy { $0 != nil })
        #expect(Set(starts.compactMap { $0 }).count == 1, "\(table)")
    }

    /// Terminal columns, counted independently of the code under test: CJK and emoji take two.
    private func width(_ text: String) -> Int {
        text.reduce(0) { total, character in
            let scalar = character.unicodeScalars.first?.value ?? 0
            let wide = (0x3000...0x9FFF).contains(scalar) || scalar >= 0x1F300
            return total + (wide ? 2 : 1)
        }
    }

    @Test(arguments: Backend.allCases) func givenBillingCanceledTwice_thenTheRepeatIsANoOp(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"]).status == 0)
        #expect(try cli.run(["billing", "payment-method", "ada@example.com", "--consent", "--quiet"]).status == 0)
        #expect(try cli.run(["billing", "subscribe", "ada@example.com", "--quiet"]).status == 0)
        let first = try cli.run(["billing", "cancel", "ada@example.com", "--json"])
        #expect(try first.json()["changed"] as? Bool == true)
        let second = try cli.run(["billing", "cancel", "ada@example.com", "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try second.json()["changed"] as? Bool == false)
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE action = 'billing.cancel'") == "1")
    }
}

/// Help for every command, rendered as a person sees it.
@Suite struct HelpTests {
    /// Every command path, from the declarations ArgumentParser dumps.
    static func commands(_ cli: CLI) throws -> [(path: [String], discussion: String)] {
        let dump = try cli.run(["--experimental-dump-help"])
        let root = try #require(
            try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])["command"]
        var found: [(path: [String], discussion: String)] = []
        func walk(_ command: Any?, _ path: [String]) {
            guard let command = command as? [String: Any] else { return }
            found.append((path, command["discussion"] as? String ?? ""))
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                walk(sub, path + [sub["commandName"] as? String ?? ""])
            }
        }
        walk(root, [])
        return found
    }

    @Test func givenAnEightyColumnTerminal_thenEveryHelpExampleIsWholeOnItsLines() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        var examples = 0
        for (path, discussion) in try Self.commands(cli) {
            let lines = discussion.split(separator: "\n").map { String($0) }
            let exampleLines = lines.indices.filter { index in
                lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("custctl ")
                    || (index > 0 && lines[index - 1].hasSuffix("\\"))
            }.map { lines[$0].trimmingCharacters(in: .whitespaces) }
            guard !exampleLines.isEmpty else { continue }
            let help = try cli.run(path + ["--help"], environment: ["COLUMNS": "80"]).stdout
            let rendered = Set(help.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
            for line in exampleLines {
                examples += 1
                let whole = rendered.contains(line)
                #expect(whole, "custctl \(path.joined(separator: " ")) --help breaks: \(line)")
            }
        }
        #expect(examples > 30)
    }
}

/// Progress on a terminal.
@Suite struct ProgressTests {
    @Test(arguments: Backend.allCases) func givenASeedOnATerminal_thenTheProgressBarEndsOnceWithItsLastLine(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let run = try cli.terminal(["seed", "--count", "2000"], [.expect("seeded")])
        #expect(run.status == 0, "\(run.transcript)")
        #expect(run.transcript.components(separatedBy: "2000/2000").count == 2, "\(run.transcript)")
    }
}

/// The hot read commands are recognised before the full parser; every form must answer as the full
/// parser would.
@Suite struct HotCommandTests {
    @Test(arguments: Backend.allCases) func givenEveryFormOfABalanceRead_thenTheAnswersAreTheFullParsersAnswers(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"]).status == 0)
        let database = cli.database
        for arguments in [
            ["credits", "balance", "ada@example.com", "--json"], ["credits", "--json", "balance", "ada@example.com"],
            ["--json", "credits", "balance", "ada@example.com", "--database", database],
            ["credits", "balance", "--database=\(database)", "ada@example.com", "--json", "--busy-timeout", "2"],
            ["credits", "balance", "1", "--json", "--verbose"],
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(try result.json()["balance"] as? Int == 5, "\(arguments)")
        }
        let shown = try cli.run(["customer", "show", "ada@example.com", "--json", "--quiet"])
        #expect(try shown.json()["email"] as? String == "ada@example.com")
        for (arguments, status, text) in [
            (["credits", "balance"], Int32(64), "Missing expected argument"),
            (["credits", "balance", "a@example.com", "b@example.com"], 64, "Unexpected argument"),
            (["credits", "balance", "ada@example.com", "--bogus"], 64, "Unknown option"),
            (["credits", "balance", "ada@example.com", "--busy-timeout", "soon"], 64, "busy-timeout"),
            (["credits", "balance", "ada@example.com", "--busy-timeout", "2147484"], 64, "busy-timeout"),
            (["credits", "balance", "nobody@example.com"], 67, "nobody@example.com"),
            (["credits", "balance", "not-an-email"], 65, "not-an-email"),
            (["customer", "show"], 64, "Missing expected argument"),
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(text), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
        let help = try cli.run(["credits", "balance", "ada@example.com", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: custctl credits balance"), "\(help.stdout)")
    }

    @Test(arguments: Backend.allCases) func givenEveryFormOfALogin_thenTheAnswersAreTheFullParsersAnswers(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let password = "Tr1cky-Falcon-Orbit\n"
        #expect(
            try cli.run(
                ["register", "--email", "ada@example.com", "--name", "Ada", "--password-stdin", "--quiet"],
                stdin: password
            ).status == 0)
        for arguments in [
            ["login", "--email", "ada@example.com", "--password-stdin", "--json"],
            ["--json", "login", "--password-stdin", "--email=ada@example.com"],
            ["login", "--email", "ADA@example.com", "--json", "--password-stdin", "--busy-timeout", "2", "--verbose"],
        ] {
            let result = try cli.run(arguments, stdin: password)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(try result.json()["customer_id"] as? Int == 1, "\(arguments)")
        }
        for (arguments, status, text) in [
            (["login", "--password-stdin"], Int32(64), "Missing expected argument"),
            (["login", "--email", "ada@example.com", "--password-stdin", "--bogus"], 64, "Unknown option"),
            (["login", "--email", "ada@example.com", "--password-stdin", "extra"], 64, "Unexpected argument"),
            (["login", "--email", "--password-stdin"], 64, "Missing value"),
        ] {
            let result = try cli.run(arguments, stdin: password)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(text), "\(arguments): \(result.stderr)")
        }
        let wrong = try cli.run(
            ["login", "--email", "ada@example.com", "--password-stdin"], stdin: "Wrong-Password-1\n")
        #expect(wrong.status == 77, "\(wrong.stderr)")
    }
}
