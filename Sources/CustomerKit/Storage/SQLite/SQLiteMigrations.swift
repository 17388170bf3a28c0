/// One named, append-only schema step. Never edit a migration after it has landed: add a new one.
struct Migration: Sendable {
    let name: String
    let up: [String]
    let down: [String]
}

/// The consolidated schema (SPEC section 1), in the order it is applied.
enum Migrations {
    static let bookkeepingTables = ["custctl_migrations", "custctl_settings"]

    static let bookkeeping = [
        """
        CREATE TABLE IF NOT EXISTS custctl_migrations (
          name TEXT PRIMARY KEY NOT NULL,
          applied_at TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS custctl_settings (
          key TEXT PRIMARY KEY NOT NULL,
          value TEXT NOT NULL)
        """,
        "INSERT OR IGNORE INTO custctl_settings (key, value) VALUES ('environment', 'development')",
    ]

    static let all: [Migration] = [
        Migration(
            name: "001_create_customers",
            up: [
                """
                CREATE TABLE customers (
                  id INTEGER PRIMARY KEY,
                  name TEXT NOT NULL,
                  email TEXT NOT NULL,
                  email_normalized TEXT NOT NULL UNIQUE,
                  password_hash TEXT,
                  is_staff INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1)),
                  admin_level TEXT CHECK (admin_level IN ('read_only', 'limited', 'full')),
                  customer_type TEXT NOT NULL DEFAULT 'trial'
                    CHECK (customer_type IN ('trial', 'paid', 'enterprise', 'internal')),
                  company_name TEXT,
                  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
                  metadata TEXT NOT NULL DEFAULT '{}'
                    CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
                  monthly_limit INTEGER NOT NULL DEFAULT 100,
                  current_usage INTEGER NOT NULL DEFAULT 0,
                  trial_fixes_used INTEGER NOT NULL DEFAULT 0,
                  trial_fixes_limit INTEGER NOT NULL DEFAULT 10,
                  trial_expired_at TEXT,
                  payment_method_added_at TEXT,
                  stripe_customer_id TEXT,
                  subscription_plan TEXT NOT NULL DEFAULT 'pay_as_you_go'
                    CHECK (subscription_plan IN ('pay_as_you_go', 'pro')),
                  subscription_status TEXT NOT NULL DEFAULT 'trial'
                    CHECK (subscription_status IN ('trial', 'active', 'past_due', 'canceled')),
                  subscription_period_end TEXT,
                  rollover_fixes INTEGER NOT NULL DEFAULT 0,
                  confirmed_at TEXT,
                  last_login_at TEXT,
                  created_at TEXT NOT NULL,
                  updated_at TEXT NOT NULL,
                  CHECK (admin_level IS NULL OR is_staff = 1))
                """,
                "CREATE INDEX customers_stripe_customer_id ON customers(stripe_customer_id)",
            ],
            down: ["DROP TABLE customers"]
        ),
        Migration(
            name: "002_create_api_keys",
            up: [
                """
                CREATE TABLE api_keys (
                  id INTEGER PRIMARY KEY,
                  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                  name TEXT NOT NULL,
                  prefix TEXT NOT NULL,
                  key_hash TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64),
                  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
                  expires_at TEXT,
                  last_used_at TEXT,
                  revoked_at TEXT,
                  metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
                  created_at TEXT NOT NULL)
                """,
                "CREATE INDEX api_keys_customer_id ON api_keys(customer_id)",
            ],
            down: ["DROP TABLE api_keys"]
        ),
        Migration(
            name: "003_create_forge_accounts",
            up: [
                """
                CREATE TABLE forge_accounts (
                  id INTEGER PRIMARY KEY,
                  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                  forge_type TEXT NOT NULL CHECK (forge_type IN ('github', 'gitlab', 'bitbucket')),
                  namespace TEXT NOT NULL CHECK (length(namespace) > 0),
                  verified_at TEXT,
                  created_at TEXT NOT NULL)
                """,
                "CREATE UNIQUE INDEX forge_accounts_namespace ON forge_accounts(forge_type, namespace COLLATE NOCASE)",
                "CREATE INDEX forge_accounts_customer_id ON forge_accounts(customer_id)",
            ],
            down: ["DROP TABLE forge_accounts"]
        ),
        Migration(
            name: "004_create_credit_transactions",
            up: [
                """
                CREATE TABLE credit_transactions (
                  id INTEGER PRIMARY KEY,
                  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                  amount INTEGER NOT NULL,
                  balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
                  kind TEXT NOT NULL CHECK (kind IN ('grant', 'consume', 'charge', 'expire', 'adjust')),
                  source TEXT NOT NULL,
                  charge_cents INTEGER CHECK (charge_cents IS NULL OR charge_cents >= 0),
                  expires_at TEXT,
                  idempotency_key TEXT,
                  metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
                  created_at TEXT NOT NULL,
                  CHECK (kind <> 'charge' OR charge_cents IS NOT NULL))
                """,
                "CREATE INDEX credit_transactions_customer_id ON credit_transactions(customer_id, id)",
                """
                CREATE UNIQUE INDEX credit_transactions_idempotency
                  ON credit_transactions(customer_id, idempotency_key) WHERE idempotency_key IS NOT NULL
                """,
                // The ledger's chain in SQL: each entry's balance_after is the previous one plus amount.
                """
                CREATE TRIGGER credit_transactions_chain BEFORE INSERT ON credit_transactions
                WHEN NEW.balance_after IS NOT COALESCE((SELECT balance_after FROM credit_transactions
                  WHERE customer_id = NEW.customer_id ORDER BY id DESC LIMIT 1), 0) + NEW.amount
                BEGIN SELECT RAISE(ABORT, 'credit ledger: balance_after does not follow the previous entry'); END
                """,
                """
                CREATE TRIGGER credit_transactions_no_update BEFORE UPDATE ON credit_transactions
                BEGIN SELECT RAISE(ABORT, 'credit ledger is append-only'); END
                """,
                // Entries go only with their customer (the cascade runs after the customer row is gone).
                """
                CREATE TRIGGER credit_transactions_no_delete BEFORE DELETE ON credit_transactions
                WHEN EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id)
                BEGIN SELECT RAISE(ABORT, 'credit ledger is append-only'); END
                """,
                // What is left of each grant, so consumption can draw soonest-expiring first without
                // replaying the ledger. Derived state; the ledger stays the truth.
                """
                CREATE TABLE credit_lots (
                  grant_id INTEGER PRIMARY KEY REFERENCES credit_transactions(id) ON DELETE CASCADE,
                  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                  remaining INTEGER NOT NULL CHECK (remaining >= 0),
                  expires_at TEXT)
                """,
                "CREATE INDEX credit_lots_open ON credit_lots(customer_id, expires_at, grant_id) WHERE remaining > 0",
            ],
            down: ["DROP TABLE credit_lots", "DROP TABLE credit_transactions"]
        ),
        Migration(
            name: "005_create_login_attempts",
            up: [
                """
                CREATE TABLE login_attempts (
                  id INTEGER PRIMARY KEY,
                  email_normalized TEXT NOT NULL,
                  attempted_at TEXT NOT NULL,
                  outcome TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'failure', 'success')))
                """,
                "CREATE INDEX login_attempts_email ON login_attempts(email_normalized, attempted_at)",
            ],
            down: ["DROP TABLE login_attempts"]
        ),
        Migration(
            name: "006_create_audit_log",
            up: [
                """
                CREATE TABLE audit_log (
                  id INTEGER PRIMARY KEY,
                  actor TEXT NOT NULL,
                  action TEXT NOT NULL,
                  customer_id INTEGER,
                  subject TEXT,
                  details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
                  created_at TEXT NOT NULL)
                """,
                "CREATE INDEX audit_log_customer_id ON audit_log(customer_id)",
            ],
            down: ["DROP TABLE audit_log"]
        ),
        Migration(
            name: "007_create_scheduled_emails",
            up: [
                """
                CREATE TABLE scheduled_emails (
                  id INTEGER PRIMARY KEY,
                  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                  template TEXT NOT NULL,
                  due_at TEXT NOT NULL,
                  sent_at TEXT,
                  created_at TEXT NOT NULL)
                """,
                "CREATE INDEX scheduled_emails_due ON scheduled_emails(sent_at, due_at)",
                "CREATE INDEX scheduled_emails_customer_id ON scheduled_emails(customer_id)",
            ],
            down: ["DROP TABLE scheduled_emails"]
        ),
        Migration(
            name: "008_create_provision_requests",
            up: [
                // Idempotency keys of `provision`: the request's fingerprint and the first result (never
                // the API key's plaintext), so a retry replays it and a different request conflicts.
                """
                CREATE TABLE provision_requests (
                  idempotency_key TEXT PRIMARY KEY NOT NULL,
                  fingerprint TEXT NOT NULL,
                  customer_id INTEGER REFERENCES customers(id) ON DELETE CASCADE,
                  result TEXT NOT NULL CHECK (json_valid(result)),
                  created_at TEXT NOT NULL)
                """
            ],
            down: ["DROP TABLE provision_requests"]
        ),
        // On a legacy database `migrate` runs the consolidation (Store+Legacy.swift) in the same
        // transaction as the migrations above; on any other database there is nothing to do.
        Migration(name: "009_consolidate_legacy", up: [], down: []),
        // Who acted is the operating-system user (from the effective uid); `actor` stays the label
        // (`--actor`, else the same user). Older entries have NULL: their OS user was never recorded.
        Migration(
            name: "010_add_audit_os_user",
            up: ["ALTER TABLE audit_log ADD COLUMN os_user TEXT"],
            down: ["ALTER TABLE audit_log DROP COLUMN os_user"]
        ),
        // Seed keeps its own record of what it created, so `seed --clean` never goes by a field a
        // user can set (SPEC 5.12).
        Migration(
            name: "011_create_seed_runs",
            up: [
                """
                CREATE TABLE seed_runs (
                  id TEXT PRIMARY KEY NOT NULL,
                  started_at TEXT NOT NULL,
                  actor TEXT NOT NULL,
                  os_user TEXT NOT NULL)
                """,
                """
                CREATE TABLE seed_customers (
                  customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
                  email_normalized TEXT NOT NULL,
                  run_id TEXT NOT NULL REFERENCES seed_runs(id) ON DELETE CASCADE)
                """,
                "CREATE INDEX seed_customers_run_id ON seed_customers(run_id)",
            ],
            down: ["DROP TABLE seed_customers", "DROP TABLE seed_runs"]
        ),
        // Erasure on request keeps the row (its ledger is a financial record) and says when it went.
        Migration(
            name: "012_add_customer_erased_at",
            up: ["ALTER TABLE customers ADD COLUMN erased_at TEXT"],
            down: ["ALTER TABLE customers DROP COLUMN erased_at"]
        ),
        // A stored prefix shows at most a quarter of its key (SPEC 5.5). custctl keys have 42
        // characters: 10. Legacy keys consolidated earlier kept 8 characters of a key whose length is
        // no longer known (only its hash is): 2, which is a quarter of an 8-character key. Prefixes
        // are for display only, so reverting this restores nothing.
        Migration(
            name: "013_shorten_api_key_prefixes",
            up: [
                """
                UPDATE api_keys SET prefix = substr(prefix, 1, 10)
                WHERE prefix LIKE 'cck\\_%' ESCAPE '\\' AND length(prefix) > 10
                """,
                """
                UPDATE api_keys SET prefix = substr(prefix, 1, 2)
                WHERE (json_extract(metadata, '$.legacy_api_key_id') IS NOT NULL
                  OR json_extract(metadata, '$.legacy_customer_id') IS NOT NULL) AND length(prefix) > 2
                """,
            ],
            down: []
        ),
        // SQLite evaluates `x IN (a, b, c)` of three or more constants through a temporary b-tree that
        // it builds again for every row a statement writes: in a CHECK, once per INSERT. The same
        // conditions as comparisons (`x = a OR x = b OR x = c`: equal for every value, NULL included)
        // cost a bulk provision a quarter of its instructions less. SQLite cannot alter a CHECK, so the
        // tables' declared text is edited (the schema-editing procedure of SQLite's ALTER TABLE
        // documentation: no stored row changes), then a throwaway table bumps the schema cookie so
        // every connection reads the new text.
        Migration(
            name: "014_compare_check_lists",
            up: [
                "PRAGMA writable_schema = ON",
                """
                UPDATE sqlite_master SET sql = replace(replace(replace(sql,
                  'admin_level IN (''read_only'', ''limited'', ''full'')',
                  'admin_level = ''read_only'' OR admin_level = ''limited'' OR admin_level = ''full'''),
                  'customer_type IN (''trial'', ''paid'', ''enterprise'', ''internal'')',
                  'customer_type = ''trial'' OR customer_type = ''paid'' OR customer_type = ''enterprise'' OR customer_type = ''internal'''),
                  'subscription_status IN (''trial'', ''active'', ''past_due'', ''canceled'')',
                  'subscription_status = ''trial'' OR subscription_status = ''active'' OR subscription_status = ''past_due'' OR subscription_status = ''canceled''')
                WHERE type = 'table' AND name = 'customers'
                """,
                """
                UPDATE sqlite_master SET sql = replace(sql,
                  'forge_type IN (''github'', ''gitlab'', ''bitbucket'')',
                  'forge_type = ''github'' OR forge_type = ''gitlab'' OR forge_type = ''bitbucket''')
                WHERE type = 'table' AND name = 'forge_accounts'
                """,
                """
                UPDATE sqlite_master SET sql = replace(sql,
                  'kind IN (''grant'', ''consume'', ''charge'', ''expire'', ''adjust'')',
                  'kind = ''grant'' OR kind = ''consume'' OR kind = ''charge'' OR kind = ''expire'' OR kind = ''adjust''')
                WHERE type = 'table' AND name = 'credit_transactions'
                """,
                """
                UPDATE sqlite_master SET sql = replace(sql,
                  'outcome IN (''pending'', ''failure'', ''success'')',
                  'outcome = ''pending'' OR outcome = ''failure'' OR outcome = ''success''')
                WHERE type = 'table' AND name = 'login_attempts'
                """,
                "PRAGMA writable_schema = RESET", "CREATE TABLE custctl_schema_cookie (x INTEGER)",
                "DROP TABLE custctl_schema_cookie",
            ],
            down: [
                "PRAGMA writable_schema = ON",
                """
                UPDATE sqlite_master SET sql = replace(replace(replace(sql,
                  'admin_level = ''read_only'' OR admin_level = ''limited'' OR admin_level = ''full''',
                  'admin_level IN (''read_only'', ''limited'', ''full'')'),
                  'customer_type = ''trial'' OR customer_type = ''paid'' OR customer_type = ''enterprise'' OR customer_type = ''internal''',
                  'customer_type IN (''trial'', ''paid'', ''enterprise'', ''internal'')'),
                  'subscription_status = ''trial'' OR subscription_status = ''active'' OR subscription_status = ''past_due'' OR subscription_status = ''canceled''',
                  'subscription_status IN (''trial'', ''active'', ''past_due'', ''canceled'')')
                WHERE type = 'table' AND name = 'customers'
                """,
                """
                UPDATE sqlite_master SET sql = replace(sql,
                  'forge_type = ''github'' OR forge_type = ''gitlab'' OR forge_type = ''bitbucket''',
                  'forge_type IN (''github'', ''gitlab'', ''bitbucket'')')
                WHERE type = 'table' AND name = 'forge_accounts'
                """,
                """
                UPDATE sqlite_master SET sql = replace(sql,
                  'kind = ''grant'' OR kind = ''consume'' OR kind = ''charge'' OR kind = ''expire'' OR kind = ''adjust''',
                  'kind IN (''grant'', ''consume'', ''charge'', ''expire'', ''adjust'')')
                WHERE type = 'table' AND name = 'credit_transactions'
                """,
                """
                UPDATE sqlite_master SET sql = replace(sql,
                  'outcome = ''pending'' OR outcome = ''failure'' OR outcome = ''success''',
                  'outcome IN (''pending'', ''failure'', ''success'')')
                WHERE type = 'table' AND name = 'login_attempts'
                """,
                "PRAGMA writable_schema = RESET", "CREATE TABLE custctl_schema_cookie (x INTEGER)",
                "DROP TABLE custctl_schema_cookie",
            ]
        ),
    ]
}
