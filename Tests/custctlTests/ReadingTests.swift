import Foundation
import Testing

/// End-to-end: reading as an operator does (SPEC 9): paging with a next-page hint, audit filters, CSV,
/// the whole customer in `customer show`, ledger notes and fix ids.
@Suite struct ReadingTests {
    /// A database with five provisioned customers (each: one key, one forge account, emails, a grant).
    static func fiveCustomers(_ backend: Backend) throws -> CLI {
        let cli = try CLI(backend)
        for n in 1...5 {
            let result = try cli.run([
                "provision", "--email", "c\(n)@example.com", "--name", "C\(n)", "--forge", "github:c\(n)", "--quiet",
            ])
            #expect(result.status == 0, "\(result.stderr)")
        }
        return cli
    }

    static func ids(_ result: RunResult, _ key: String = "id") throws -> [Int] {
        try result.jsonLines().compactMap { $0[key] as? Int }
    }

    @Test(
        arguments: Backend.allCases,
        [
            (["customer", "list"], false), (["apikey", "list"], false), (["forge", "list"], false),
            (["audit", "list"], true), (["credits", "history", "c1@example.com"], true),
        ])
    func givenMoreRowsThanTheLimit_thenPagesFollowOneAnotherAndTheNextIsNamedOnStderr(
        _ backend: Backend, _ listing: ([String], Bool)
    ) throws {
        let (list, newestFirst) = listing
        let cli = try Self.fiveCustomers(backend)
        defer { cli.cleanUp() }
        #expect(
            try cli.run(["credits", "grant", "c1@example.com", "2", "--source", "manual", "--quiet"]).status == 0)
        let all = try Self.ids(cli.run(list + ["--json"]))
        #expect(all.count >= 2)
        #expect(all == (newestFirst ? all.sorted(by: >) : all.sorted()))
        var seen: [Int] = []
        var after: String? = nil
        repeat {
            let page = try cli.run(list + ["--json", "--limit", "1"] + (after.map { ["--after-id", $0] } ?? []))
            #expect(page.status == 0)
            seen += try Self.ids(page)  // stdout is JSON Lines only
            let hint = page.stderr.split(separator: " ").last.map { $0.trimmingCharacters(in: .newlines) }
            after = page.stderr.contains("--after-id") ? hint : nil
            #expect(after == nil || after == String(seen.last ?? -1), "\(page.stderr)")
        } while after != nil && seen.count <= all.count
        #expect(seen == all)
        let table = try cli.run(list + ["--limit", "1"])
        #expect(table.stderr.contains("more: continue with --after-id \(all[0])"), "\(table.stderr)")
        #expect(!(try cli.run(list + ["--limit", "1", "--quiet"]).stderr.contains("after-id")))
        #expect(try cli.run(list + ["--limit", "0"]).status == 64)
    }

    @Test(arguments: Backend.allCases) func givenDueEmails_whenPaged_thenTheyFollowInDueOrder(_ backend: Backend) throws
    {
        let cli = try Self.fiveCustomers(backend)
        defer { cli.cleanUp() }
        let all = try Self.ids(cli.run(["emails", "due", "--json"]))
        #expect(all.count == 5)
        let first = try cli.run(["emails", "due", "--json", "--limit", "3"])
        let second = try cli.run(["emails", "due", "--json", "--after-id", String(all[2])])
        #expect(try Self.ids(first) + Self.ids(second) == all)
        #expect(first.stderr.contains("--after-id \(all[2])"))
        #expect(second.stderr.isEmpty)
    }

    @Test(arguments: Backend.allCases) func givenAuditFilters_thenOnlyThatActionOrGroupSinceTheInstant(
        _ backend: Backend
    ) throws {
        let cli = try Self.fiveCustomers(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["credits", "grant", "c2@example.com", "4", "--source", "manual"]).status == 0)
        #expect(try cli.run(["apikey", "create", "c2@example.com", "--name", "ci", "--quiet"]).status == 0)
        let grants = try cli.run(["audit", "list", "--action", "credits.grant", "--json"]).jsonLines()
        #expect(grants.map { $0["action"] as? String } == ["credits.grant"])
        let keys = try cli.run(["audit", "list", "--action", "apikey", "--json"]).jsonLines()
        #expect(keys.map { $0["action"] as? String } == ["apikey.create"])
        #expect(try cli.run(["audit", "list", "--action", "apikey.c", "--json"]).stdout.isEmpty)
        #expect(try cli.run(["audit", "list", "--since", "2999-01-01", "--json"]).stdout.isEmpty)
        #expect(try cli.run(["audit", "list", "--since", "2000-01-01", "--json"]).jsonLines().count >= 7)
        #expect(try cli.run(["audit", "list", "--since", "2030-02-30"]).status == 65)
        #expect(try cli.run(["audit", "list", "--action", "x y"]).status == 64)
    }

    @Test(arguments: Backend.allCases) func givenCSV_thenRFC4180WithAHeaderAndValuesAsStored(_ backend: Backend) throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(
            try cli.run([
                "provision", "--email", "ann@example.com", "--name", "Smith, \"Ann\"", "--company", "=1+2", "--quiet",
            ]).status == 0)
        let csv = try cli.run(["customer", "list", "--csv"])
        #expect(csv.status == 0)
        let lines = csv.stdout.components(separatedBy: "\r\n")
        #expect(lines.count == 3 && lines[2].isEmpty, "CRLF after every row: \(csv.stdout)")
        #expect(lines[0].hasPrefix("id,name,email,email_normalized,has_password,"))
        #expect(lines[1].hasPrefix("1,\"Smith, \"\"Ann\"\"\",ann@example.com,ann@example.com,false,"))
        #expect(lines[1].contains(",=1+2,"))
        #expect(try cli.run(["customer", "list", "--csv", "--json"]).status == 64)
    }

    @Test(arguments: Backend.allCases) func givenACustomer_whenShown_thenBalancePlanKeysAndForgeAccountsAreThere(
        _ backend: Backend
    ) throws {
        let cli = try Self.fiveCustomers(backend)
        defer { cli.cleanUp() }
        let shown = try cli.run(["customer", "show", "c1@example.com", "--json"]).json()
        #expect(shown["balance"] as? Int == 5)
        #expect(shown["plan"] as? String == "pay_as_you_go")
        let keys = try #require(shown["api_keys"] as? [[String: Any]])
        #expect(keys.count == 1 && keys[0]["status"] as? String == "active" && keys[0]["prefix"] is String)
        #expect(keys[0]["key_hash"] == nil)
        let forges = try #require(shown["forge_accounts"] as? [[String: Any]])
        #expect(forges.map { $0["namespace"] as? String } == ["c1"])
        let text = try cli.run(["customer", "show", "c1@example.com"]).stdout
        for piece in ["balance", "API keys:", "Forge accounts:", "github", "c1"] {
            #expect(text.contains(piece), "\(piece)")
        }
    }

    @Test(arguments: Backend.allCases) func givenFixIdsAndNotes_thenHistoryShowsThemAndARepeatedFixIsRefused(
        _ backend: Backend
    ) throws {
        let cli = try Self.fiveCustomers(backend)
        defer { cli.cleanUp() }
        #expect(
            try cli.run(["credits", "grant", "c1@example.com", "3", "--source", "manual", "--note", "goodwill"])
                .status == 0)
        let consume = ["credits", "consume", "c1@example.com", "--fix-id", "fix-42"]
        #expect(try cli.run(consume + ["--idempotency-key", "deploy-42"]).status == 0)
        #expect(try cli.run(consume + ["--idempotency-key", "deploy-42"]).status == 0, "a retry replays")
        let repeated = try cli.run(consume + ["--json"])
        #expect(repeated.status == 73)
        #expect(try repeated.jsonError()["error"] as? String == "fix_already_paid")
        #expect(try cli.run(["credits", "balance", "c1@example.com", "--json"]).json()["balance"] as? Int == 7)
        #expect(try cli.run(consume + ["--allow-repeat"]).status == 0)
        #expect(try cli.run(["credits", "balance", "c1@example.com", "--json"]).json()["balance"] as? Int == 6)
        let history = try cli.run(["credits", "history", "c1@example.com", "--json"]).jsonLines()
        #expect(history.compactMap { $0["fix_id"] as? String } == ["fix-42", "fix-42"])
        #expect(history.compactMap { $0["note"] as? String } == ["goodwill"])
        let table = try cli.run(["credits", "history", "c1@example.com"]).stdout
        #expect(table.contains("NOTE") && table.contains("goodwill") && table.contains("fix-42"))
    }
}
