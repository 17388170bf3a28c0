import Foundation

extension PostgreSQLBackend {
    /// The checks of `custctl doctor` on PostgreSQL: grants to PUBLIC instead of file modes, the
    /// schema, the objects the migrations made, the ledger, orphans and provisioning, and `amcheck`
    /// on custctl's indexes when the extension is installed.
    func diagnose() throws -> DoctorReport {
        var doctor = DoctorChecks()
        try doctor.run("public_grants") {
            try publicGrants().map {
                "PUBLIC may use table \($0); run REVOKE ALL ON ALL TABLES IN SCHEMA \(schema) FROM PUBLIC"
            }
        }
        let status = try migrationStatus()
        doctor.run("schema") { status.problems }
        guard status.layout == .custctl, status.pending.isEmpty else { return doctor.report }
        try transaction(readOnly: true) { _ in
            try doctor.run("schema_objects") { try missingObjects() }
            for invariant in Self.invariantChecks {
                try doctor.run(invariant.name) {
                    try connection.query(qualified(invariant.sql)).rows.compactMap { row in
                        try invariant.problem((0..<row.result.columns).map { try row.optionalString($0) ?? "" })
                    }
                }
            }
            if try connection.query("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'amcheck')").first?
                .bool(0) == true
            {
                try doctor.run("amcheck") { try indexCheck() }
            }
        }
        return doctor.report
    }

    /// The triggers and indexes the migrations made that are missing or disabled.
    private func missingObjects() throws -> [String] {
        let triggers = try connection.query(
            """
            SELECT t.tgname::text, t.tgenabled::text FROM pg_catalog.pg_trigger t
            JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND NOT t.tgisinternal
            """, [target.schema]
        ).rows.map { (try $0.string(0), try $0.string(1)) }
        let indexes = Set(
            try connection.query(
                "SELECT indexname::text FROM pg_catalog.pg_indexes WHERE schemaname = $1", [target.schema]
            )
            .rows.map { try $0.string(0) })
        var found: [String] = []
        let enabled = Dictionary(triggers, uniquingKeysWith: { first, _ in first })
        for name in Self.expectedTriggers {
            switch enabled[name] {
            case nil: found.append("trigger \(name) is missing; the migrations made it")
            case "D": found.append("trigger \(name) is disabled")
            default: break
            }
        }
        for name in Self.expectedIndexes where !indexes.contains(name) {
            found.append("index \(name) is missing; the migrations made it")
        }
        for (name, _) in triggers.sorted(by: { $0.0 < $1.0 }) where !Self.expectedTriggers.contains(name) {
            found.append("trigger \(name) was not made by custctl's migrations")
        }
        return found
    }

    static let expectedTriggers: Set<String> = [
        "credit_transactions_chain", "credit_transactions_no_update", "credit_transactions_no_delete",
    ]

    static let expectedIndexes: Set<String> = [
        "customers_stripe_customer_id", "api_keys_customer_id", "forge_accounts_namespace",
        "forge_accounts_customer_id", "credit_transactions_customer_id", "credit_transactions_idempotency",
        "credit_lots_open", "login_attempts_email", "audit_log_customer_id", "scheduled_emails_due",
        "scheduled_emails_customer_id", "seed_customers_run_id",
    ]

    /// `bt_index_check` on every B-tree index of the schema; each failure is a problem.
    private func indexCheck() throws -> [String] {
        let indexes = try connection.query(
            """
            SELECT c.oid::bigint, c.relname::text FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_am a ON a.oid = c.relam
            WHERE n.nspname = $1 AND a.amname = 'btree'
            """, [target.schema]
        ).rows.map { (try $0.int64(0), try $0.string(1)) }
        var found: [String] = []
        for (oid, name) in indexes {
            do {
                try connection.query("SELECT bt_index_check($1::oid)", [oid])
            } catch let error as PQError {
                found.append("index \(name): \(error.message)")
            }
        }
        return found
    }

    /// An invariant checked by one query whose columns are all text: every row is a problem (or, mapped
    /// to nil, none).
    private struct InvariantCheck: Sendable {
        let name: String
        let sql: String
        let problem: @Sendable ([String]) -> String?
    }

    /// The ledger, lots, orphans and provisioning invariants, as on SQLite.
    private static let invariantChecks: [InvariantCheck] = [
        InvariantCheck(
            name: "ledger_audit",
            sql: """
                SELECT t.id::text, t.customer_id::text, t.kind, t.amount::text FROM {s}.credit_transactions t
                WHERE t.kind IN ('grant', 'adjust') AND NOT EXISTS (
                  SELECT 1 FROM {s}.audit_log a WHERE a.customer_id = t.customer_id
                    AND (a.details ->> 'entry_id' = t.id::text
                      OR (a.details ->> 'entry_id' IS NULL AND a.created_at = t.created_at
                        AND a.action IN ('credits.grant', 'customer.provision', 'billing.subscribe',
                          'billing.pro_payment'))))
                ORDER BY t.id
                """,
            problem: {
                "ledger \($0[2]) \($0[0]) of \($0[3]) credit(s) for customer \($0[1]) has no audit entry: "
                    + "it was not written by custctl"
            }),
        InvariantCheck(
            name: "ledger_chain",
            sql: """
                SELECT id::text, customer_id::text FROM (
                  SELECT id, customer_id, balance_after, amount,
                    lag(balance_after, 1, 0::bigint) OVER (PARTITION BY customer_id ORDER BY id) AS previous
                  FROM {s}.credit_transactions) chain
                WHERE balance_after <> previous + amount ORDER BY id
                """,
            problem: { "ledger entry \($0[0]) of customer \($0[1]) does not follow the previous balance" }),
        InvariantCheck(
            name: "ledger_non_negative", sql: "SELECT id::text FROM {s}.credit_transactions WHERE balance_after < 0",
            problem: { "ledger entry \($0[0]) has a negative balance" }),
        InvariantCheck(
            name: "ledger_idempotency",
            sql: """
                SELECT customer_id::text, idempotency_key, count(*)::text FROM {s}.credit_transactions
                WHERE idempotency_key IS NOT NULL GROUP BY customer_id, idempotency_key HAVING count(*) > 1
                """,
            problem: { "idempotency key '\($0[1])' of customer \($0[0]) applies \($0[2]) times" }),
        InvariantCheck(
            name: "ledger_lots",
            sql: """
                SELECT id::text, balance::text, lots::text FROM (
                  SELECT c.id, COALESCE((SELECT balance_after FROM {s}.credit_transactions t WHERE t.customer_id = c.id
                      ORDER BY t.id DESC LIMIT 1), 0) AS balance,
                    COALESCE((SELECT sum(remaining) FROM {s}.credit_lots l WHERE l.customer_id = c.id), 0) AS lots
                  FROM {s}.customers c) totals
                WHERE balance <> lots ORDER BY id
                """,
            problem: { "customer \($0[0]): balance \($0[1]) but its grants hold \($0[2])" }),
        InvariantCheck(
            name: "lots_match_grants",
            sql: """
                SELECT l.grant_id::text, l.customer_id::text FROM {s}.credit_lots l
                LEFT JOIN {s}.credit_transactions t ON t.id = l.grant_id
                WHERE t.id IS NULL OR t.customer_id <> l.customer_id OR t.amount <= 0
                  OR t.kind NOT IN ('grant', 'adjust') OR l.remaining < 0 OR l.remaining > t.amount
                """,
            problem: { "credit lot \($0[0]) of customer \($0[1]) does not match a grant it came from" }),
        InvariantCheck(
            name: "orphans",
            sql: ["api_keys", "forge_accounts", "credit_transactions", "credit_lots", "scheduled_emails"].map {
                "SELECT '\($0)'::text, count(*)::text FROM {s}.\($0) t "
                    + "WHERE NOT EXISTS (SELECT 1 FROM {s}.customers c WHERE c.id = t.customer_id)"
            }.joined(separator: " UNION ALL "),
            problem: { $0[1] == "0" ? nil : "\($0[1]) \($0[0]) row(s) without a customer" }),
        InvariantCheck(
            name: "provisioning",
            sql: """
                SELECT customer_id::text, has_key::text FROM (
                  SELECT a.customer_id,
                    EXISTS (SELECT 1 FROM {s}.api_keys k WHERE k.customer_id = a.customer_id) AS has_key,
                    COALESCE((a.details ->> 'trial_credits')::bigint, 5) = 0
                      OR EXISTS (SELECT 1 FROM {s}.credit_transactions t WHERE t.customer_id = a.customer_id
                        AND t.source = 'trial_signup') AS has_grant
                  FROM {s}.audit_log a JOIN {s}.customers c ON c.id = a.customer_id
                  WHERE a.action = 'customer.provision') provisioned
                WHERE NOT has_key OR NOT has_grant
                """,
            problem: {
                $0[1] == "true"
                    ? "customer \($0[0]) was provisioned without its trial grant"
                    : "customer \($0[0]) was provisioned without an API key"
            }),
    ]
}

extension MigrationStatus {
    /// What `doctor` reports about the schema state.
    var problems: [String] {
        var found: [String] = []
        if layout == .legacy { found.append("the database has the legacy layout; run 'custctl migrate'") }
        if !pending.isEmpty { found.append("pending migrations: " + pending.joined(separator: ", ")) }
        if !unknown.isEmpty { found.append("migrations from a newer custctl: " + unknown.joined(separator: ", ")) }
        return found
    }
}
