import Foundation
import Testing

/// End-to-end: provision (single, batch, Stripe), API keys, forge accounts, the outbox.
@Suite struct ProvisioningEndToEndTests {
    @Test(arguments: Backend.allCases) func givenOneCustomer_whenProvisioned_thenJSONHasTheContractKeysAndTheKeyWorks(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let result = try cli.run([
            "provision", "--email", "ada@example.com", "--name", "Ada", "--company", "Engines",
            "--source", "gh_marketplace", "--forge", "github:ada-labs", "--json",
        ])
        #expect(result.status == 0)
        let object = try result.json()
        for key in ["customer_id", "email", "api_key", "billing_customer_id", "credit_balance", "created"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["credit_balance"] as? Int == 5 && object["created"] as? Bool == true)
        #expect((object["billing_customer_id"] as? String)?.hasPrefix("cus_local_") == true)
        let key = try #require(object["api_key"] as? String)
        let verified = try cli.run(["apikey", "verify", "--json"], stdin: key + "\n")
        #expect(verified.status == 0)
        #expect(try verified.json()["email"] as? String == "ada@example.com")
        #expect(try cli.run(["apikey", "verify"], stdin: String(key.dropLast()) + "\n").status == 77)
        #expect(
            try cli.run(["customer", "show", "ada@example.com", "--json"]).json()["metadata"] as? [String: String] == [
                "source": "gh_marketplace"
            ])
        #expect(try cli.run(["emails", "due", "--json"]).jsonLines().map { $0["template"] as? String } == ["welcome"])
        #expect(try cli.sql("SELECT count(*) FROM scheduled_emails") == "4")
    }

    @Test func givenAProvisionedKey_thenItsPlaintextIsInNeitherTheDatabaseNorTheWAL() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        #expect(try cli.run(["migrate"]).status == 0)
        let holder = try SQLiteShell(database: cli.database)  // keeps the WAL file from being removed
        try holder.execute("SELECT count(*) FROM customers;")
        defer { holder.close() }
        let key = try #require(
            try cli.run(["provision", "--email", "a@example.com", "--name", "A", "--json"]).json()["api_key"] as? String
        )
        let secret = Data(key.dropFirst(12).utf8)  // the part after the public prefix
        for path in [cli.database, cli.database + "-wal"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(!bytes.isEmpty)
            #expect(bytes.range(of: secret) == nil, "plaintext key found in \(path)")
        }
    }

    @Test(arguments: Backend.allCases) func givenRepeatsAndConflicts_thenExitCodesFollowTheSpec(_ backend: Backend)
        throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let base = ["provision", "--email", "ada@example.com", "--name", "Ada", "--json"]
        #expect(try cli.run(base).status == 0)
        let taken = try cli.run(base)
        #expect(taken.status == 73)
        #expect(try taken.jsonError()["error"] as? String == "email_taken")
        let quiet = try cli.run(base + ["--if-not-exists"])
        #expect(quiet.status == 0)
        #expect(try quiet.json()["created"] as? Bool == false)
        #expect(try quiet.json()["api_key"] is NSNull)
        let keyed = [
            "provision", "--email", "bob@example.com", "--name", "Bob", "--idempotency-key", "req-1", "--json",
        ]
        let first = try cli.run(keyed).json()
        let replay = try cli.run(keyed)
        #expect(replay.status == 0)
        #expect(try replay.json()["customer_id"] as? Int == first["customer_id"] as? Int)
        #expect(try replay.json()["replayed"] as? Bool == true)
        let different = try cli.run([
            "provision", "--email", "carl@example.com", "--name", "Carl", "--idempotency-key", "req-1", "--json",
        ])
        #expect(different.status == 73)
        #expect(try different.jsonError()["error"] as? String == "idempotency_conflict")
        let namespace = try cli.run([
            "provision", "--email", "d@example.com", "--name", "D", "--forge", "github:shared", "--json",
        ])
        #expect(namespace.status == 0)
        let clash = try cli.run([
            "provision", "--email", "e@example.com", "--name", "E", "--forge", "GITHUB:Shared", "--json",
        ])
        #expect(clash.status == 73)
        #expect(try clash.jsonError()["error"] as? String == "namespace_taken")
        #expect(try cli.sql("SELECT count(*) FROM customers WHERE email = 'e@example.com'") == "0")
        #expect(try cli.run(["provision", "--email", "bad", "--name", "X"]).status == 65)
        #expect(
            try cli.run(["provision", "--email", "f@example.com", "--name", "F", "--forge", "sourceforge:x"]).status
                == 65)
        #expect(try cli.run(["provision", "--email", "f@example.com"]).status == 64)
        #expect(
            try cli.run(["provision", "--email", "f@example.com", "--name", "F", "--billing", "paypal"]).status == 64)
    }

    @Test(arguments: Backend.allCases) func givenABatchWithABadLine_whenPerRecord_thenOthersLandAndTheLineIsReported(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let file = cli.directory.appendingPathComponent("batch.csv").path
        try
            "email,name,company,forge\na@x.io,\"Smith, Ann\",\"Quote \"\"Co\"\"\",github:a\nbad-email,B,,\nc@x.io,C,,\"github:c;gitlab:c\"\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try cli.run(["provision", "--file", file, "--json"])
        #expect(result.status == 65)
        let lines = try result.jsonLines()
        #expect(lines.map { $0["line"] as? Int } == [2, 3, 4])
        #expect(lines[1]["error"] as? String == "invalid_email")
        #expect(lines[0]["created"] as? Bool == true && lines[2]["created"] as? Bool == true)
        #expect(try cli.sql("SELECT company_name FROM customers WHERE email = 'a@x.io'") == "Quote \"Co\"")
        #expect(try cli.sql("SELECT count(*) FROM forge_accounts") == "3")
    }

    @Test(arguments: Backend.allCases) func givenABatchWithABadLine_whenAtomic_thenNothingIsWrittenAndTheLineIsNamed(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let file = cli.directory.appendingPathComponent("batch.jsonl").path
        try """
        {"email":"a@x.io","name":"A","forge":["github:a"]}
        {"email":"b@x.io","name":"B","idempotency_key":"b-1"}
        {"email":"c@x.io","name":

        """.write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try cli.run(["provision", "--file", file, "--atomic", "--json"])
        #expect(bad.status == 65)
        #expect(try bad.jsonError()["line"] as? Int == 3)
        #expect(try cli.sql("SELECT count(*) FROM customers") == "0")
        try """
        {"email":"a@x.io","name":"A","forge":["github:a"]}
        {"email":"b@x.io","name":"B","idempotency_key":"b-1"}
        {"email":"a@x.io","name":"A again"}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let conflict = try cli.run(["provision", "--file", file, "--atomic", "--json"])
        #expect(conflict.status == 73)
        #expect(try conflict.jsonError()["line"] as? Int == 3)
        #expect(try cli.sql("SELECT count(*) FROM customers") == "0")
        try """
        {"email":"a@x.io","name":"A","forge":["github:a"]}
        {"email":"b@x.io","name":"B","idempotency_key":"b-1"}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let good = try cli.run(["provision", "--file", file, "--atomic", "--json"])
        #expect(good.status == 0)
        #expect(try good.jsonLines().count == 2)
        #expect(try cli.sql("SELECT count(*) FROM customers") == "2")
        #expect(
            try cli.run(["provision", "--file", cli.directory.appendingPathComponent("missing.csv").path]).status == 66)
        #expect(try cli.run(["provision", "--file", cli.directory.path, "--input-format", "csv"]).status == 66)
        let unknown = cli.directory.appendingPathComponent("x.txt").path
        try "".write(toFile: unknown, atomically: true, encoding: .utf8)
        #expect(try cli.run(["provision", "--file", unknown]).status == 64)
    }

    @Test func givenStripe_whenTheFirstAttemptDiesAfterTheHTTPCall_thenTheRetryReusesTheStripeCustomer() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let stripe = try FakeStripe(mode: "ok", in: cli.directory)
        defer { stripe.stop() }
        #expect(try cli.run(["migrate"]).status == 0)
        let args = [
            "provision", "--email", "ada@example.com", "--name", "Ada", "--billing", "stripe", "--json",
            "--busy-timeout", "0.2",
        ]
        let shell = try SQLiteShell(database: cli.database)
        try shell.execute("BEGIN IMMEDIATE; UPDATE custctl_settings SET value = value;")
        let blocked = try cli.run(args, environment: stripe.environment)
        #expect(blocked.status == 75)
        try shell.execute("COMMIT;")
        shell.close()
        #expect(try cli.sqlite("SELECT count(*) FROM customers") == "0")
        let retried = try cli.run(args, environment: stripe.environment)
        #expect(retried.status == 0)
        #expect(try retried.json()["billing_customer_id"] as? String == "cus_fake0001")
        let requests = try stripe.requests()
        #expect(requests.count == 2)
        #expect(Set(requests.compactMap { $0["idempotency_key"] as? String }).count == 1)
        #expect(requests.first?["authorization"] as? String == "Bearer sk_test_fake")
        #expect((requests.first?["form"] as? [String: String])?["email"] == "ada@example.com")
        #expect(try cli.sqlite("SELECT stripe_customer_id FROM customers") == "cus_fake0001")
    }

    @Test(arguments: Backend.allCases) func givenStripeFailures_thenClearErrorsAndNothingWritten(_ backend: Backend)
        throws
    {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let args = ["provision", "--email", "ada@example.com", "--name", "Ada", "--billing", "stripe", "--json"]
        for (mode, status, code) in [
            ("fail-first", Int32(75), "billing_unavailable"), ("not-json", 75, "billing_unavailable"),
            ("reject", 69, "billing_refused"), ("slow", 75, "billing_unavailable"),
        ] {
            let stripe = try FakeStripe(mode: mode, in: cli.directory)
            defer { stripe.stop() }
            let failed = try cli.run(args, environment: stripe.environment)
            #expect(failed.status == status, "\(mode)")
            #expect(try failed.jsonError()["error"] as? String == code, "\(mode)")
            #expect(try cli.sql("SELECT count(*) FROM customers") == "0")
            if mode == "fail-first" {
                let retried = try cli.run(args, environment: stripe.environment)
                #expect(retried.status == 0)
                let keys = try stripe.requests().compactMap { $0["idempotency_key"] as? String }
                #expect(keys.count == 2 && keys[0] == keys[1])
                _ = try cli.sql("DELETE FROM customers")
            }
        }
        let unconfigured = try cli.run(args, environment: ["STRIPE_API_KEY": ""])
        #expect(unconfigured.status == 78)
    }

    @Test(arguments: Backend.allCases) func givenKeyAdministration_thenRotationOverlapAndRevocationAcrossProcesses(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        let provisioned = try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada", "--json"]).json()
        let original = try #require(provisioned["api_key"] as? String)
        let created = try cli.run(["apikey", "create", "ada@example.com", "--name", "ci", "--json"]).json()
        let ciKey = try #require(created["api_key"] as? String)
        let ciId = try #require(created["id"] as? Int)
        #expect(try cli.run(["apikey", "list", "ada@example.com", "--json"]).jsonLines().count == 2)
        #expect(!(try cli.run(["apikey", "list"]).stdout.contains(ciKey)))
        let rotated = try cli.run(["apikey", "rotate", String(ciId), "--overlap", "1h", "--json"]).json()
        let newKey = try #require(rotated["api_key"] as? String)
        #expect(try cli.run(["apikey", "verify"], stdin: ciKey + "\n").status == 0)
        #expect(try cli.run(["apikey", "verify"], stdin: newKey + "\n").status == 0)
        #expect(try cli.run(["apikey", "revoke", String(ciId), "--json"]).status == 0)
        #expect(try cli.run(["apikey", "verify"], stdin: ciKey + "\n").status == 77)
        #expect(try cli.run(["apikey", "rotate", String(ciId)]).status == 69)  // revoked: never revived
        #expect(try cli.run(["apikey", "revoke", "cck_nothere"]).status == 67)
        #expect(try cli.run(["apikey", "rotate", String(ciId), "--overlap", "soon"]).status == 65)
        _ = try cli.sql("UPDATE customers SET active = false")
        #expect(try cli.run(["apikey", "verify"], stdin: original + "\n").status == 77)
        #expect(try cli.run(["apikey", "verify"], stdin: "\n").status == 77)
    }

    @Test(arguments: Backend.allCases) func givenForgeAndOutboxCommands_thenLinkUnlinkListAndMarkSent(
        _ backend: Backend
    ) throws {
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        #expect(try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada"]).status == 0)
        #expect(try cli.run(["provision", "--email", "bob@example.com", "--name", "Bob"]).status == 0)
        #expect(
            try cli.run(["forge", "link", "ada@example.com", "gitlab:ada/tools", "--json"]).json()["changed"] as? Bool
                == true)
        #expect(
            try cli.run(["forge", "link", "ada@example.com", "gitlab:ADA/tools", "--json"]).json()["changed"] as? Bool
                == false)
        #expect(try cli.run(["forge", "link", "bob@example.com", "gitlab:ada/tools"]).status == 73)
        #expect(try cli.run(["forge", "link", "bob@example.com", "gitlab:/bad"]).status == 65)
        #expect(try cli.run(["forge", "unlink", "bob@example.com", "gitlab:ada/tools"]).status == 67)
        #expect(try cli.run(["forge", "list", "--json"]).jsonLines().count == 1)
        #expect(try cli.run(["forge", "unlink", "ada@example.com", "gitlab:ada/tools"]).status == 0)
        #expect(try cli.run(["forge", "list", "ada@example.com", "--json"]).jsonLines().isEmpty)
        let due = try cli.run(["emails", "due", "--json"]).jsonLines()
        #expect(due.count == 2)
        let id = try #require(due.first?["id"] as? Int)
        #expect(try cli.run(["emails", "mark-sent", String(id), "--json"]).json()["changed"] as? Bool == true)
        #expect(try cli.run(["emails", "mark-sent", String(id), "--json"]).json()["changed"] as? Bool == false)
        #expect(try cli.run(["emails", "due", "--json"]).jsonLines().count == 1)
        #expect(try cli.run(["emails", "mark-sent", "9999"]).status == 67)
    }
}
