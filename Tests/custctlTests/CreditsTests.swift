import Foundation
import Testing

/// End-to-end: the credit ledger and billing commands.
@Suite struct CreditsTests {
    private func customer(_ cli: CLI, _ email: String = "ada@example.com", credits: Int = 0) throws {
        let registered = try cli.run(
            ["register", "--email", email, "--name", "Ada", "--password-stdin"], stdin: "Tr1cky-Falcon-Orbit\n")
        #expect(registered.status == 0)
        if credits > 0 {
            #expect(try cli.run(["credits", "grant", email, String(credits), "--source", "manual"]).status == 0)
        }
    }

    private func ledgerIsConsistent(_ cli: CLI) throws -> Bool {
        try cli.sql(
            """
            SELECT CASE WHEN (SELECT balance_after FROM credit_transactions ORDER BY id DESC LIMIT 1)
            = (SELECT SUM(amount) FROM credit_transactions) THEN 1 ELSE 0 END
            """) == "1"
    }

    @Test(arguments: Backend.allCases) func givenHundredProcessesAgainstFiftyCredits_thenExactlyFiftySucceed(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try customer(cli, credits: 50)
        let results = try cli.runConcurrently(100) { i in
            ["credits", "consume", "ada@example.com", "--fix-id", "fix-\(i)", "--json", "--busy-timeout", "60"]
        }
        let statuses = results.map(\.status)
        #expect(statuses.filter { $0 == 0 }.count == 50, "\(statuses)")
        #expect(statuses.filter { $0 == 69 }.count == 50, "\(statuses)")
        #expect(try cli.run(["credits", "balance", "ada@example.com", "--json"]).json()["balance"] as? Int == 0)
        #expect(try ledgerIsConsistent(cli))
        #expect(try cli.sql("SELECT count(*) FROM credit_transactions WHERE kind = 'consume'") == "50")
    }

    @Test(arguments: Backend.allCases) func givenConcurrentReplaysOfOneKey_thenTheConsumptionAppliesOnce(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try customer(cli, credits: 10)
        let results = try cli.runConcurrently(20) { _ in
            [
                "credits", "consume", "ada@example.com", "--amount", "3", "--idempotency-key", "deploy-7", "--json",
                "--busy-timeout", "60",
            ]
        }
        #expect(results.allSatisfy { $0.status == 0 })
        let objects = try results.map { try $0.json() }
        #expect(objects.filter { $0["replayed"] as? Bool == false }.count == 1)
        #expect(objects.allSatisfy { $0["balance"] as? Int == 7 })
        #expect(try cli.sql("SELECT count(*) FROM credit_transactions WHERE kind = 'consume'") == "1")
        let conflict = try cli.run([
            "credits", "consume", "ada@example.com", "--amount", "2", "--idempotency-key", "deploy-7", "--json",
        ])
        #expect(conflict.status == 73)
        #expect(try conflict.jsonError()["error"] as? String == "idempotency_conflict")
    }

    @Test(arguments: Backend.allCases) func givenTheBillingJourney_thenRatesWarningsAndHistoryFollowTheDesign(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try customer(cli, credits: 5)
        let noConsent = try cli.run(["billing", "payment-method", "ada@example.com", "--json"])
        #expect(noConsent.status == 65)
        #expect(try noConsent.jsonError()["error"] as? String == "consent_required")
        #expect(try cli.run(["billing", "subscribe", "ada@example.com"]).status == 69)
        #expect(try cli.run(["credits", "consume", "ada@example.com", "--amount", "5"]).status == 0)
        let summary = try cli.run(["credits", "summary", "ada@example.com", "--json"]).json()
        #expect(summary["warnings"] as? [String] == ["low_balance", "critical"])
        #expect(summary["rate_cents"] as? Int == 2900)
        #expect(summary["usage_this_period"] as? Int == 5)
        let refused = try cli.run(["credits", "consume", "ada@example.com", "--json"])
        #expect(refused.status == 69)
        #expect(try refused.jsonError()["error"] as? String == "insufficient_credits")
        #expect(try cli.run(["billing", "payment-method", "ada@example.com", "--consent"]).status == 0)
        let charged = try cli.run(["credits", "consume", "ada@example.com", "--json"]).json()
        #expect(charged["charge_cents"] as? Int == 2900)
        let pro = try cli.run([
            "billing", "subscribe", "ada@example.com", "--period-end", "2099-01-31T00:00:00Z", "--json",
        ]).json()
        #expect(pro["credits_granted"] as? Int == 60 && pro["subscription_plan"] as? String == "pro")
        let paidTwice = try cli.run([
            "billing", "pay", "ada@example.com", "--period-end", "2099-01-31T00:00:00Z", "--json",
        ]).json()
        #expect(paidTwice["changed"] as? Bool == false)
        #expect(try cli.run(["credits", "balance", "ada@example.com"]).stdout == "60\n")
        #expect(try cli.run(["billing", "pay", "ada@example.com", "--period-end", "2099-03-02T00:00:00Z"]).status == 0)
        #expect(
            try cli.run(["credits", "consume", "ada@example.com", "--amount", "121", "--json"]).json()["charge_cents"]
                as? Int == 1500)
        #expect(try cli.run(["billing", "cancel", "ada@example.com", "--at-period-end"]).status == 0)
        #expect(try cli.run(["credits", "summary", "ada@example.com", "--json"]).json()["rate_cents"] as? Int == 1500)
        #expect(try cli.run(["billing", "cancel", "ada@example.com"]).status == 0)
        #expect(try cli.run(["credits", "summary", "ada@example.com", "--json"]).json()["rate_cents"] as? Int == 2900)
        let history = try cli.run(["credits", "history", "ada@example.com", "--json"]).jsonLines()
        let ids = history.compactMap { $0["id"] as? Int }
        #expect(ids == ids.sorted(by: >))
        #expect(history.first?["kind"] as? String == "charge")
        #expect(
            try cli.run(["credits", "history", "ada@example.com", "--limit", "2", "--json"]).jsonLines().count == 2)
        #expect(try ledgerIsConsistent(cli))
        let audit = try cli.run(["audit", "list", "--json"]).jsonLines().compactMap { $0["action"] as? String }
        #expect(
            audit.contains("billing.subscribe") && audit.contains("billing.cancel") && audit.contains("credits.grant"))
    }

    @Test(arguments: Backend.allCases) func givenBadInput_thenTheDocumentedExitCodes(_ backend: Backend) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        try customer(cli)
        // "-1" reads as an unknown option (usage, 64); `--` makes it an amount, which is invalid data.
        #expect(try cli.run(["credits", "grant", "ada@example.com", "-1", "--source", "manual"]).status == 64)
        #expect(try cli.run(["credits", "grant", "ada@example.com", "--source", "manual", "--", "-1"]).status == 65)
        for amount in ["0", "abc", "1.5", "99999999999"] {
            let result = try cli.run(["credits", "grant", "ada@example.com", amount, "--source", "manual", "--json"])
            #expect(result.status == 65, "\(amount)")
            #expect(try result.jsonError()["error"] as? String == "invalid_amount")
        }
        #expect(try cli.run(["credits", "consume", "ada@example.com", "--amount", "0"]).status == 65)
        #expect(
            try cli.run(["credits", "grant", "ada@example.com", "5", "--source", "manual", "--expires-at", "soon"])
                .status == 65)
        #expect(
            try cli.run([
                "credits", "grant", "ada@example.com", "5", "--source", "manual", "--expires-at", "2000-01-01",
            ]).status == 65)
        #expect(try cli.run(["credits", "grant", "ada@example.com", "5"]).status == 64)
        #expect(try cli.run(["credits", "balance", "nobody@example.com"]).status == 67)
        #expect(try cli.run(["credits", "history", "ada@example.com", "--limit", "0"]).status == 64)
        #expect(try cli.sql("SELECT count(*) FROM credit_transactions") == "0")
        let expiring = try cli.run([
            "credits", "grant", "ada@example.com", "5", "--source", "promo", "--expires-at", "2099-01-31T00:00:00Z",
            "--json",
        ]).json()
        #expect(expiring["expires_at"] as? String == "2099-01-31T00:00:00.000Z")
        #expect(
            try cli.run(["--database", cli.database, "credits", "balance", "ada@example.com", "--json"]).json()[
                "balance"] as? Int == 5)
    }
}
