/// One legacy row that consolidation archived instead of keeping, or could not keep as it was.
public struct ConsolidationIssue: Sendable, Equatable {
    /// The legacy table (`customers`, `users`, `api_keys`, `forge_accounts`).
    public let table: String
    /// The row's id in that table.
    public let id: Int64
    /// Why, in a few words.
    public let reason: String
}

/// What consolidating a legacy database did (or, on a dry run, would do).
public struct ConsolidationReport: Sendable, Equatable {
    /// Counts per step, in a fixed order.
    public let counts: [(String, Int)]
    /// Rows that were archived as conflicts or could not be kept (with table and id).
    public let conflicts: [ConsolidationIssue]
    /// Legacy columns custctl does not keep as columns; their values are in the archive.
    public let archivedColumns: [String]
    public let dryRun: Bool

    public static func == (lhs: ConsolidationReport, rhs: ConsolidationReport) -> Bool {
        lhs.counts.map(\.0) == rhs.counts.map(\.0) && lhs.counts.map(\.1) == rhs.counts.map(\.1)
            && lhs.conflicts == rhs.conflicts && lhs.archivedColumns == rhs.archivedColumns && lhs.dryRun == rhs.dryRun
    }
}

/// What rolling back a consolidation restored.
public struct LegacyRestoreReport: Sendable, Equatable {
    /// Legacy tables recreated.
    public let tables: [String]
    /// Rows put back.
    public let rows: Int
    /// API keys whose plaintext cannot come back from their hashes: `customers` ids (inline
    /// `api_key`) and `api_keys` ids. Their columns hold `sha256:<hex>` instead.
    public let keysNotRestored: [ConsolidationIssue]
}

/// The counts and findings of one consolidation as a backend's steps gather them.
struct ConsolidationTally {
    var customersKept = 0
    var customersFromUsers = 0
    var usersMerged = 0
    var apiKeys = 0
    var inlineKeys = 0
    var forgeAccounts = 0
    var githubOrgs = 0
    var fixAttempts = 0
    var remapped = 0
    var archived = 0
    var conflicts: [ConsolidationIssue] = []
    var archivedColumns = LegacyLayout.archivedOnly

    func report(dryRun: Bool) -> ConsolidationReport {
        let counts: [(String, Int)] = [
            ("customers", customersKept), ("customers_from_users", customersFromUsers), ("users_merged", usersMerged),
            ("api_keys", apiKeys), ("inline_api_keys", inlineKeys), ("forge_accounts", forgeAccounts),
            ("github_orgs", githubOrgs), ("fix_attempts_kept", fixAttempts), ("fix_attempts_remapped", remapped),
            ("rows_archived", archived), ("conflicts", conflicts.count),
        ]
        return ConsolidationReport(
            counts: counts, conflicts: conflicts, archivedColumns: archivedColumns, dryRun: dryRun)
    }
}
