import Foundation

// The storage boundary: what the features ask of a backend, one protocol per aggregate's records, all
// reached through one transaction. Values crossing it are the features' own types; no backend type,
// SQL dialect or row-id assumption does. A backend implements every protocol here and `StorageBackend`.

/// One transaction on a backend: every aggregate's records, read and written together, committed or
/// rolled back as one.
protocol StorageTransaction: AnyObject {
    /// The transaction's instant: the injected clock on SQLite, the server's clock on PostgreSQL.
    var now: Date { get }
    var customers: any CustomerRecords { get }
    var logins: any LoginRecords { get }
    var apiKeys: any APIKeyRecords { get }
    var forgeAccounts: any ForgeRecords { get }
    var outbox: any OutboxRecords { get }
    var ledger: any LedgerRecords { get }
    var audit: any AuditRecords { get }
    var seedRuns: any SeedRecords { get }
    var provisionRequests: any ProvisionRecords { get }
    /// Many new customers at once (bulk provisioning).
    var newCustomers: any NewCustomerRecords { get }
}

/// The `customers` table.
protocol CustomerRecords {
    func find(_ reference: CustomerReference) throws -> Customer?
    /// Id and entered email only: the read path of `credits balance`.
    func identity(_ reference: CustomerReference) throws -> (id: Int64, email: String)?
    func list(_ query: CustomerQuery) throws -> Paged<Customer>
    /// Inserts a customer; a taken email is `CustomerError.emailTaken`. Returns its id.
    func insert(_ new: NewCustomer, billingCustomerId: String?) throws -> Int64
    func setActive(_ id: Int64, _ active: Bool) throws
    func update(_ id: Int64, name: String, company: String?, type: CustomerType) throws
    func setStaff(_ id: Int64, level: AdminLevel?) throws
    func setPasswordHash(_ id: Int64, _ hash: String) throws
    /// Stamps a successful login and stores an upgraded hash when there is one.
    func recordLogin(_ id: Int64, upgradedHash: String?) throws
    func addUsage(_ id: Int64, fixes: Int64) throws
    func updateBilling(_ id: Int64, _ billing: BillingState) throws
    /// Replaces every personal field with its erased form (SPEC 9), zeroing freed space.
    func erase(_ id: Int64, erasedEmail: String) throws
    /// Deletes the customers a seed run recorded as its own (id and email both match); returns how many.
    func deleteSeeded() throws -> Int
    /// Deletes every customer (and by cascade what hangs off them); returns how many.
    func deleteAll() throws -> Int
}

extension CustomerRecords {
    /// The customer `reference` names, or `CustomerError.notFound`.
    func fetch(_ reference: CustomerReference) throws -> Customer {
        guard let found = try find(reference) else { throw CustomerError.notFound(reference.description) }
        return found
    }
}

/// `login_attempts`: the throttle's memory.
protocol LoginRecords {
    /// Forgets attempts for `email` made at or before `instant`.
    func deleteAttempts(_ email: String, through instant: Date) throws
    /// Instants of attempts that did not succeed (failures and pending ones) after `instant`.
    func unsuccessfulAttempts(_ email: String, after instant: Date) throws -> [Date]
    /// Every email's unsuccessful attempts after `instant` (or only `email`'s), grouped by email in order.
    func unsuccessfulAttemptsByEmail(_ email: String?, after instant: Date) throws -> [(
        email: String, attempts: [Date]
    )]
    /// Records a pending attempt (it counts as a failure until finished); returns its id.
    func insertPending(_ email: String, at instant: Date) throws -> Int64
    func markFailed(_ attemptId: Int64) throws
    /// After a successful login: removes the email's failures and the attempt itself (other processes'
    /// pending attempts stay).
    func clearFailures(_ email: String, andAttempt attemptId: Int64) throws
    /// After a new password: removes every unsuccessful attempt (failed or pending) of the email.
    func clearUnsuccessful(_ email: String) throws
    /// Removes every attempt for `email`; returns how many.
    func deleteAll(_ email: String) throws -> Int
    func count(_ email: String) throws -> Int
    /// Forgets every attempt of every email (`seed --reset`).
    func deleteEveryAttempt() throws
}

/// `api_keys` (hashes only).
protocol APIKeyRecords {
    func find(_ id: Int64) throws -> APIKey?
    /// Inserts a key by its prefix and hash; returns its id.
    func insert(
        customerId: Int64, name: String, prefix: String, hash: String, expiresAt: Date?,
        metadata: [(String, JSONValue)], at instant: Date
    ) throws -> Int64
    /// Keys (with their owners' emails) in id order, optionally of one customer.
    func list(customerId: Int64?, page: Page) throws -> Paged<(key: APIKey, email: String)>
    func find(hash: String) throws -> APIKey?
    /// Keys whose id is `text` or whose prefix and `text` start one another, with owners' emails.
    func candidates(_ text: String, limit: Int) throws -> [(key: APIKey, email: String)]
    /// The key with this hash, usable at `instant` (active, not revoked or expired, active owner).
    func usable(hash: String, at instant: Date) throws -> (key: APIKey, hash: String, email: String)?
    func revoke(_ id: Int64, at instant: Date) throws
    /// Brings the expiry forward to `instant` unless it is already sooner.
    func capExpiry(_ id: Int64, at instant: Date) throws
    func stampUsed(_ id: Int64, at instant: Date) throws
    /// Revokes every key of a customer and renames them `erased`.
    func revokeAll(customerId: Int64, at instant: Date) throws
    func countUnrevoked(customerId: Int64) throws -> Int
}

/// `forge_accounts`.
protocol ForgeRecords {
    /// The account with this namespace, compared case-insensitively.
    func find(_ forge: ForgeNamespace) throws -> ForgeAccount?
    /// Inserts an account; a namespace taken case-insensitively is `ForgeError.namespaceTaken`.
    func insert(customerId: Int64, _ forge: ForgeNamespace, at instant: Date) throws
    func delete(_ id: Int64) throws
    func list(customerId: Int64?, page: Page) throws -> Paged<LinkedForgeAccount>
    /// `type:namespace` of a customer's accounts, in id order.
    func names(customerId: Int64) throws -> [String]
    func deleteAll(customerId: Int64) throws
}

/// `scheduled_emails`: the onboarding outbox.
protocol OutboxRecords {
    func insert(customerId: Int64, template: String, due: Date, at instant: Date) throws
    func find(_ id: Int64) throws -> ScheduledEmail?
    /// Unsent emails due at `instant` to active customers, in (due, id) order.
    func due(at instant: Date, page: Page) throws -> Paged<DueEmail>
    func markSent(_ id: Int64, at instant: Date) throws
    func countPending(customerId: Int64) throws -> Int
    func deletePending(customerId: Int64) throws
}

/// `credit_transactions` and `credit_lots`: the append-only ledger and what each grant has left.
protocol LedgerRecords {
    /// The newest entry's balance_after (0 with no entry).
    func recordedBalance(customerId: Int64) throws -> Int64
    /// Credits left in lots whose instant has passed at `instant`.
    func expiredRemaining(customerId: Int64, at instant: Date) throws -> Int64
    /// Lots with credits left, soonest-expiring first, never-expiring last (ties: oldest grant), read
    /// one at a time until `visit` returns false.
    func forEachOpenLot(customerId: Int64, _ visit: (CreditLot) throws -> Bool) throws
    /// Lots whose instant has passed at `instant` with credits left.
    func expiredLots(customerId: Int64, at instant: Date) throws -> [CreditLot]
    /// Appends an entry with the given balance after it; grants and positive adjustments open a lot.
    func append(customerId: Int64, _ new: NewLedgerEntry, balanceAfter: Int64, at instant: Date) throws -> LedgerEntry
    func setRemaining(_ remaining: Int64, ofLot grantId: Int64) throws
    func entry(customerId: Int64, idempotencyKey: String) throws -> LedgerEntry?
    /// The first consumption or charge for deployed fix `fixId`.
    func entry(customerId: Int64, fixId: String) throws -> LedgerEntry?
    /// Entries newest first.
    func history(customerId: Int64, page: Page) throws -> Paged<LedgerEntry>
    /// Fixes used (consumed or charged) since `start`.
    func fixesUsed(customerId: Int64, since start: Date) throws -> Int64
}

/// One audit entry about to be written.
struct NewAuditEntry {
    var actor: Actor
    var action: String
    var customerId: Int64? = nil
    var subject: String? = nil
    var details: [(String, JSONValue)] = []
}

/// `audit_log`.
protocol AuditRecords {
    func append(_ entry: NewAuditEntry, at instant: Date) throws
    func list(_ query: AuditQuery) throws -> Paged<AuditEntry>
    /// The newest `customer.erase` entry for this email fingerprint.
    func erasure(fingerprint: String) throws -> ErasureRecord?
    /// True when `forge` was unlinked from this customer before.
    func wasUnlinked(customerId: Int64, _ forge: ForgeNamespace) throws -> Bool
    /// Replaces `subject` in a customer's entries (erasure keeps no email).
    func replaceSubject(customerId: Int64, _ subject: String, with replacement: String) throws
    func countSubject(customerId: Int64, _ subject: String) throws -> Int
}

/// `seed_runs` and `seed_customers`: what seed made, so `--clean` removes exactly that.
protocol SeedRecords {
    func beginRun(_ id: String, actor: Actor, at instant: Date) throws
    func recordCustomer(_ customerId: Int64, email: String, run: String) throws
    func deleteRuns() throws
}

/// `provision_requests`: provisioning's idempotency keys.
protocol ProvisionRecords {
    /// The fingerprint and stored result of the request with this key.
    func find(idempotencyKey: String) throws -> (fingerprint: String, result: JSONValue)?
    func insert(idempotencyKey: String, fingerprint: String, customerId: Int64, result: JSONValue, at instant: Date)
        throws
    func count(customerId: Int64) throws -> Int
    func delete(customerId: Int64) throws
    func deleteAll() throws
}

/// Every row of many new customers written at once (`provision`): the caller looks up what exists for
/// the whole batch, reserves the ids, builds every row, and the backend writes them as it does best
/// (SQLite row by row through its records; PostgreSQL a few set-based statements per batch).
protocol NewCustomerRecords {
    /// `customers` new customer ids and `ledgerEntries` new ledger entry ids, for this transaction's
    /// inserts only.
    func reserveIds(customers: Int, ledgerEntries: Int) throws -> (customers: [Int64], ledgerEntries: [Int64])
    /// The ids of the customers that have these normalised emails.
    func existing(emails: [String]) throws -> [String: Int64]
    /// Which of these namespaces are linked already (`ForgeNamespace.key`: compared case-insensitively).
    func linked(_ forges: [ForgeNamespace]) throws -> Set<String>
    /// The fingerprints and stored results of these idempotency keys.
    func provisionRequests(_ keys: [String]) throws -> [String: (fingerprint: String, result: JSONValue)]
    /// Writes every row of `batch`, stamped `instant`.
    func insert(_ batch: [NewCustomerRows], at instant: Date) throws
}

/// Every row of one new customer, ids included.
struct NewCustomerRows {
    var id: Int64
    var customer: NewCustomer
    var billingCustomerId: String
    var apiKey: (name: String, prefix: String, hash: String)
    var forges: [ForgeNamespace]
    var emails: [(template: String, due: Date)]
    /// The trial grant (it opens a lot) and its id.
    var grant: (id: Int64, entry: NewLedgerEntry)?
    var audit: NewAuditEntry
    var request: (key: String, fingerprint: String, result: JSONValue)?
}
