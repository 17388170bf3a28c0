import Foundation

/// Many new customers on PostgreSQL, set-based: each table's rows of a whole batch in one statement
/// (`unnest` over array parameters), so a batch costs a dozen round trips instead of a dozen per
/// customer. The ids come from the identity sequences, so later single inserts never collide.
struct PostgreSQLNewCustomerRecords: NewCustomerRecords {
    let tx: PostgreSQLTransaction
    private var s: String { tx.s }

    func reserveIds(customers: Int, ledgerEntries: Int) throws -> (customers: [Int64], ledgerEntries: [Int64]) {
        func next(_ count: Int, from table: String) throws -> [Int64] {
            guard count > 0 else { return [] }
            return try tx.query(
                "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2::int)",
                ["\(s).\(table)", count]
            ).rows.map { try $0.int64(0) }.sorted()
        }
        return (try next(customers, from: "customers"), try next(ledgerEntries, from: "credit_transactions"))
    }

    func existing(emails: [String]) throws -> [String: Int64] {
        guard !emails.isEmpty else { return [:] }
        var found: [String: Int64] = [:]
        for row in try tx.query(
            "SELECT email_normalized, id FROM \(s).customers WHERE email_normalized = ANY($1::text[])",
            [PQArray(emails)]
        ).rows {
            found[try row.string(0)] = try row.int64(1)
        }
        return found
    }

    func linked(_ forges: [ForgeNamespace]) throws -> Set<String> {
        guard !forges.isEmpty else { return [] }
        return Set(
            try tx.query(
                """
                SELECT f.forge_type || ':' || lower(f.namespace) FROM \(s).forge_accounts f
                JOIN unnest($1::text[], $2::text[]) AS wanted (forge_type, namespace)
                  ON f.forge_type = wanted.forge_type AND lower(f.namespace) = lower(wanted.namespace)
                """,
                [PQArray(forges.map(\.type.rawValue)), PQArray(forges.map(\.namespace))]
            ).rows.map { try $0.string(0) })
    }

    func provisionRequests(_ keys: [String]) throws -> [String: (fingerprint: String, result: JSONValue)] {
        guard !keys.isEmpty else { return [:] }
        // The keys' locks first, in one order (as `find` takes each), so two batches sharing keys serialise.
        if tx.locking {
            try tx.query(
                """
                SELECT pg_advisory_xact_lock(hashtextextended('custctl:provision:' || key, 0))
                FROM (SELECT DISTINCT unnest($1::text[]) AS key ORDER BY 1) keys
                """, [PQArray(keys)])
        }
        var found: [String: (fingerprint: String, result: JSONValue)] = [:]
        for row in try tx.query(
            """
            SELECT idempotency_key, fingerprint, result FROM \(s).provision_requests
            WHERE idempotency_key = ANY($1::text[])
            """, [PQArray(keys)]
        ).rows {
            found[try row.string(0)] = (try row.string(1), try row.json(2))
        }
        return found
    }

    func insert(_ batch: [NewCustomerRows], at instant: Date) throws {
        guard !batch.isEmpty else { return }
        do {
            try insertCustomers(batch, at: instant)
            try insertChildren(batch, at: instant)
            try insertLedger(batch, at: instant)
            try insertAudit(batch, at: instant)
        } catch let error as PQError where error.sqlState == "23505" {
            // Another process took an email or a namespace after the batch looked them up.
            if error.constraint == "forge_accounts_namespace" {
                throw ForgeError.namespaceTaken(error.detail ?? "a forge namespace")
            }
            throw CustomerError.emailTaken(error.detail ?? "an email")
        }
    }

    private func insertCustomers(_ batch: [NewCustomerRows], at instant: Date) throws {
        try tx.query(
            """
            INSERT INTO \(s).customers (id, name, email, email_normalized, password_hash, customer_type, company_name,
              metadata, stripe_customer_id, created_at, updated_at)
            SELECT id, name, email, email_normalized, password_hash, customer_type, company_name, metadata::json,
              stripe_customer_id, $10, $10
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
              $8::text[], $9::text[])
              AS t (id, name, email, email_normalized, password_hash, customer_type, company_name, metadata,
                stripe_customer_id)
            """,
            [
                PQArray(batch.map(\.id)), PQArray(batch.map(\.customer.name)),
                PQArray(batch.map(\.customer.email.entered)), PQArray(batch.map(\.customer.email.normalized)),
                PQArray(batch.map(\.customer.passwordHash)), PQArray(batch.map(\.customer.customerType.rawValue)),
                PQArray(batch.map(\.customer.companyName)), PQArray(batch.map(\.customer.metadata)),
                PQArray(batch.map(\.billingCustomerId)), instant,
            ])
        let seeded = batch.compactMap { rows in rows.customer.seedRun.map { (rows, $0) } }
        if !seeded.isEmpty {
            try tx.query(
                """
                INSERT INTO \(s).seed_customers (customer_id, email_normalized, run_id)
                SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])
                """,
                [
                    PQArray(seeded.map(\.0.id)), PQArray(seeded.map(\.0.customer.email.normalized)),
                    PQArray(seeded.map(\.1)),
                ])
        }
    }

    /// API keys, forge accounts and onboarding emails.
    private func insertChildren(_ batch: [NewCustomerRows], at instant: Date) throws {
        try tx.query(
            """
            INSERT INTO \(s).api_keys (customer_id, name, prefix, key_hash, metadata, created_at)
            SELECT customer_id, name, prefix, key_hash, '{}', $5
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS t (customer_id, name, prefix, key_hash)
            """,
            [
                PQArray(batch.map(\.id)), PQArray(batch.map(\.apiKey.name)), PQArray(batch.map(\.apiKey.prefix)),
                PQArray(batch.map(\.apiKey.hash)), instant,
            ])
        let forges = batch.flatMap { rows in rows.forges.map { (rows.id, $0) } }
        if !forges.isEmpty {
            try tx.query(
                """
                INSERT INTO \(s).forge_accounts (customer_id, forge_type, namespace, created_at)
                SELECT customer_id, forge_type, namespace, $4
                FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t (customer_id, forge_type, namespace)
                """,
                [
                    PQArray(forges.map(\.0)), PQArray(forges.map(\.1.type.rawValue)),
                    PQArray(forges.map(\.1.namespace)), instant,
                ])
        }
        let emails = batch.flatMap { rows in rows.emails.map { (rows.id, $0) } }
        if !emails.isEmpty {
            try tx.query(
                """
                INSERT INTO \(s).scheduled_emails (customer_id, template, due_at, created_at)
                SELECT customer_id, template, due_at, $4
                FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS t (customer_id, template, due_at)
                """,
                [
                    PQArray(emails.map(\.0)), PQArray(emails.map(\.1.template)), PQArray(emails.map(\.1.due)),
                    instant,
                ])
        }
    }

    /// The grants (each the customer's first entry, so its balance is its amount) and their lots.
    private func insertLedger(_ batch: [NewCustomerRows], at instant: Date) throws {
        let grants = batch.compactMap { rows in rows.grant.map { (customerId: rows.id, id: $0.id, entry: $0.entry) } }
        guard !grants.isEmpty else { return }
        try tx.query(
            """
            INSERT INTO \(s).credit_transactions (id, customer_id, amount, balance_after, kind, source, charge_cents,
              expires_at, idempotency_key, metadata, created_at)
            SELECT id, customer_id, amount, amount, kind, source, charge_cents, expires_at, idempotency_key,
              metadata::json, $10
            FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[],
              $7::timestamptz[], $8::text[], $9::text[])
              AS t (id, customer_id, amount, kind, source, charge_cents, expires_at, idempotency_key, metadata)
            ORDER BY id
            """,
            [
                PQArray(grants.map(\.id)), PQArray(grants.map(\.customerId)), PQArray(grants.map(\.entry.amount)),
                PQArray(grants.map(\.entry.kind.rawValue)), PQArray(grants.map(\.entry.source)),
                PQArray(grants.map(\.entry.chargeCents)), PQArray(grants.map(\.entry.expiresAt)),
                PQArray(grants.map(\.entry.idempotencyKey)),
                PQArray(grants.map { JSONValue.object($0.entry.metadata) }), instant,
            ])
        let lots = grants.filter(\.entry.opensLot)
        guard !lots.isEmpty else { return }
        try tx.query(
            """
            INSERT INTO \(s).credit_lots (grant_id, customer_id, remaining, expires_at)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::timestamptz[])
            """,
            [
                PQArray(lots.map(\.id)), PQArray(lots.map(\.customerId)), PQArray(lots.map(\.entry.amount)),
                PQArray(lots.map(\.entry.expiresAt)),
            ])
    }

    /// The audit entries and the idempotency records.
    private func insertAudit(_ batch: [NewCustomerRows], at instant: Date) throws {
        try tx.query(
            """
            INSERT INTO \(s).audit_log (actor, os_user, action, customer_id, subject, details, created_at)
            SELECT actor, os_user, action, customer_id, subject, details::json, $7
            FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])
              AS t (actor, os_user, action, customer_id, subject, details)
            """,
            [
                PQArray(batch.map(\.audit.actor.name)), PQArray(batch.map(\.audit.actor.osUser)),
                PQArray(batch.map(\.audit.action)), PQArray(batch.map(\.audit.customerId)),
                PQArray(batch.map(\.audit.subject)), PQArray(batch.map { JSONValue.object($0.audit.details) }), instant,
            ])
        let requests = batch.compactMap { rows in rows.request.map { (rows.id, $0) } }
        guard !requests.isEmpty else { return }
        try tx.query(
            """
            INSERT INTO \(s).provision_requests (idempotency_key, fingerprint, customer_id, result, created_at)
            SELECT idempotency_key, fingerprint, customer_id, result::json, $5
            FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[])
              AS t (idempotency_key, fingerprint, customer_id, result)
            """,
            [
                PQArray(requests.map(\.1.key)), PQArray(requests.map(\.1.fingerprint)), PQArray(requests.map(\.0)),
                PQArray(requests.map(\.1.result)), instant,
            ])
    }
}
