import Foundation

/// The legacy layout (SPEC section 6): the tables and the columns custctl knows in each.
enum LegacyLayout {
    /// Tables whose presence (without custctl's bookkeeping) marks a legacy database.
    static let tables: Set<String> = [
        "users", "users_tokens", "customers", "api_keys", "forge_accounts", "fix_attempts",
    ]

    static let columns: [(table: String, columns: [String])] = [
        ("users", ["id", "email", "hashed_password", "confirmed_at", "inserted_at", "updated_at"]),
        ("users_tokens", ["id", "user_id", "token", "context", "sent_to", "inserted_at"]),
        (
            "customers",
            [
                "id", "name", "email", "api_key", "github_org", "active", "metadata", "monthly_limit", "current_usage",
                "plan", "payment_method_added", "trial_expired", "monthly_fix_quota", "trial_fixes_used",
                "trial_fixes_limit", "trial_expired_at", "payment_method_added_at", "stripe_customer_id",
                "subscription_plan", "subscription_status", "rollover_fixes", "user_id", "inserted_at", "updated_at",
            ]
        ),
        (
            "api_keys",
            [
                "id", "key", "name", "customer_id", "active", "expires_at", "last_used_at", "metadata", "inserted_at",
                "updated_at",
            ]
        ),
        (
            "forge_accounts",
            ["id", "customer_id", "forge_type", "namespace", "verified_at", "metadata", "inserted_at", "updated_at"]
        ),
    ]
    /// Columns whose values live on only in the archive (besides columns custctl does not know).
    static let archivedOnly = [
        "customers.api_key", "customers.github_org", "customers.plan", "customers.payment_method_added",
        "customers.trial_expired", "customers.monthly_fix_quota", "customers.user_id", "users_tokens.*",
        "api_keys.key", "api_keys.updated_at", "forge_accounts.metadata", "forge_accounts.updated_at",
    ]
    /// Columns that hold plaintext API keys: archived only as `sha256:<hex>`.
    static let secretColumns: Set<String> = ["customers.api_key", "api_keys.key"]
    /// The consolidation's own tables, kept until rollback.
    static let archiveTables = ["legacy_archive", "legacy_schema"]
    static let consolidationMigration = "009_consolidate_legacy"
}
