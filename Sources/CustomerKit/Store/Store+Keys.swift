import Foundation
import GRDB

extension APIKey: FetchableRecord, TableRecord {
    public static let databaseTableName = "api_keys"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    /// Every column but the hash.
    public static var databaseSelection: [any SQLSelectable] {
        [
            Column("id"), Column("customer_id"), Column("name"), Column("prefix"), Column("active"),
            Column("expires_at"),
            Column("last_used_at"), Column("revoked_at"), Column("metadata"), Column("created_at"),
        ]
    }
}

extension ForgeAccount: FetchableRecord, TableRecord {
    public static let databaseTableName = "forge_accounts"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
}

extension ScheduledEmail: FetchableRecord, TableRecord {
    public static let databaseTableName = "scheduled_emails"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
}

/// How commands name an API key: by its id, or by what an operator typed (an id, the listed prefix,
/// part of it, or the key itself), which `APIKeys` resolves and refuses when it is ambiguous.
public enum APIKeyReference: Sendable, Equatable, CustomStringConvertible {
    case id(Int64)
    case text(String)

    public init(parsing text: String) {
        self = .text(text)
    }

    public var description: String {
        switch self {
        case .id(let id): return "with id \(id)"
        case .text(let text): return "matching '\(text)'"
        }
    }
}

/// The keys a typed reference may mean: the one whose hash it is, and every key whose id or prefix
/// it could name.
struct APIKeyMatches {
    var byHash: APIKey?
    var candidates: [APIKeyCandidate]
    var keys: [Int64: APIKey]
}

extension Store {
    // MARK: - API keys

    /// Stores a new key for `customer` (hash only) and audits it.
    func insertAPIKey(
        _ customer: CustomerReference, plaintext: String, name: String, expiresAt: Date?, actor: Actor,
        metadata: [(String, JSONValue)] = [], revising old: (id: Int64, expiresAt: Date)? = nil
    ) throws -> APIKey {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            let owner = try Store.fetchCustomer(db, customer)
            if let old {
                try db.execute(
                    sql:
                        "UPDATE api_keys SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > ? THEN ? ELSE expires_at END WHERE id = ?",
                    arguments: [Timestamp.string(from: old.expiresAt), Timestamp.string(from: old.expiresAt), old.id])
            }
            try db.execute(
                sql: """
                    INSERT INTO api_keys (customer_id, name, prefix, key_hash, expires_at, metadata, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    owner.id, name, APIKeyFormat.prefix(of: plaintext), APIKeyFormat.hash(plaintext),
                    expiresAt.map(Timestamp.string(from:)), JSONValue.object(metadata).serialized, stamp,
                ])
            let id = db.lastInsertedRowID
            try Store.audit(
                db, actor: actor, action: old == nil ? "apikey.create" : "apikey.rotate", customerId: owner.id,
                subject: owner.emailNormalized, details: [("key_id", .int(id)), ("replaces", .optional(old?.id))],
                at: stamp)
            return try Store.fetchKey(db, .id(id))
        }
    }

    /// Keys with their owners' emails, optionally of one customer, in id order.
    func apiKeys(of customer: CustomerReference?, page: Page) throws -> Paged<(key: APIKey, email: String)> {
        try read { db in
            var request = APIKey.all().order(Column("id"))
            if let customer {
                request = request.filter(Column("customer_id") == (try Store.fetchCustomer(db, customer).id))
            }
            if let afterId = page.afterId { request = request.filter(Column("id") > afterId) }
            if let limit = page.fetchLimit { request = request.limit(limit) }
            let keys = page.cut(try request.fetchAll(db), id: \.id)
            let emails = try Dictionary(
                Row.fetchAll(
                    db, sql: "SELECT id, email FROM customers WHERE id IN (SELECT customer_id FROM api_keys)"
                ).map { (Int64.fromDatabaseValue($0["id"]) ?? 0, String.fromDatabaseValue($0["email"]) ?? "") },
                uniquingKeysWith: { first, _ in first })
            return Paged(items: keys.map { ($0, emails[$0.customerId] ?? "") }, nextAfterId: keys.nextAfterId)
        }
    }

    /// The key with this id.
    func apiKey(_ reference: APIKeyReference) throws -> APIKey {
        try read { db in try Store.fetchKey(db, reference) }
    }

    /// Every key `text` could name: its hash (the whole key), its id, or a prefix relation either way
    /// (the text starts with the stored prefix, or is the start of it).
    func apiKeyMatches(_ text: String) throws -> APIKeyMatches {
        try read { db in
            let byHash = try APIKey.filter(Column("key_hash") == APIKeyFormat.hash(text)).fetchOne(db)
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT k.id, c.email FROM api_keys k JOIN customers c ON c.id = k.customer_id
                    WHERE CAST(k.id AS TEXT) = ?1 OR (k.prefix <> '' AND (substr(?1, 1, length(k.prefix)) = k.prefix
                      OR substr(k.prefix, 1, length(?1)) = ?1))
                    ORDER BY k.id LIMIT 50
                    """,
                arguments: [text])
            var keys: [Int64: APIKey] = [:]
            var candidates: [APIKeyCandidate] = []
            for row in rows {
                let key = try Store.fetchKey(db, .id(row["id"]))
                keys[key.id] = key
                candidates.append(APIKeyCandidate(id: key.id, prefix: key.prefix, customerEmail: row["email"]))
            }
            return APIKeyMatches(byHash: byHash, candidates: candidates, keys: keys)
        }
    }

    /// Revokes a key (idempotent) and audits it; returns the key and whether it changed.
    func revokeAPIKey(_ reference: APIKeyReference, actor: Actor) throws -> (APIKey, Bool) {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            let key = try Store.fetchKey(db, reference)
            if key.revokedAt != nil { return (key, false) }
            try db.execute(
                sql: "UPDATE api_keys SET active = 0, revoked_at = ? WHERE id = ?", arguments: [stamp, key.id])
            let owner = try Store.fetchCustomer(db, .id(key.customerId))
            try Store.audit(
                db, actor: actor, action: "apikey.revoke", customerId: owner.id, subject: owner.emailNormalized,
                details: [("key_id", .int(key.id))], at: stamp)
            return (try Store.fetchKey(db, .id(key.id)), true)
        }
    }

    /// The key with this hash if it may be used now (active, not revoked, not expired, active owner),
    /// with last_used_at stamped.
    func useAPIKey(hash: String) throws -> VerifiedAPIKey? {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT k.id, k.key_hash, c.email FROM api_keys k JOIN customers c ON c.id = k.customer_id
                        WHERE k.key_hash = ? AND k.active = 1 AND k.revoked_at IS NULL
                          AND (k.expires_at IS NULL OR k.expires_at > ?) AND c.active = 1
                        """,
                    arguments: [hash, stamp])
            else { return nil }
            guard PasswordHasher.constantTimeEqual(row["key_hash"], hash) else { return nil }
            let id: Int64 = row["id"]
            try db.execute(sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?", arguments: [stamp, id])
            return VerifiedAPIKey(key: try Store.fetchKey(db, .id(id)), customerEmail: row["email"])
        }
    }

    /// The key with this id; a typed reference must be resolved by `APIKeys` first.
    static func fetchKey(_ db: Database, _ reference: APIKeyReference) throws -> APIKey {
        guard case .id(let id) = reference, let found = try APIKey.filter(Column("id") == id).fetchOne(db) else {
            throw APIKeyError.notFound(reference.description)
        }
        return found
    }

    // MARK: - Forge accounts

    /// Links a forge account (audited); a namespace another customer has is `namespaceTaken`.
    func linkForge(_ customer: CustomerReference, _ forge: ForgeNamespace, actor: Actor) throws -> (ForgeAccount, Bool)
    {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            let owner = try Store.fetchCustomer(db, customer)
            if let existing = try Store.forgeAccount(db, forge) {
                guard existing.customerId == owner.id else { throw ForgeError.namespaceTaken(forge.description) }
                return (existing, false)
            }
            try Store.insertForgeAccount(db, customerId: owner.id, forge, stamp: stamp)
            try Store.audit(
                db, actor: actor, action: "forge.link", customerId: owner.id, subject: owner.emailNormalized,
                details: [("forge", .string(forge.description))], at: stamp)
            guard let linked = try Store.forgeAccount(db, forge) else {
                throw StoreError.sqlite("linked forge account cannot be read back")
            }
            return (linked, true)
        }
    }

    /// Unlinks a forge account of `customer` (audited); returns its id, or nil when the audit log shows it
    /// was unlinked from this customer before. One this customer never had is `ForgeError.notFound`.
    func unlinkForge(_ customer: CustomerReference, _ forge: ForgeNamespace, actor: Actor) throws -> Int64? {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            let owner = try Store.fetchCustomer(db, customer)
            guard let existing = try Store.forgeAccount(db, forge), existing.customerId == owner.id else {
                let unlinkedBefore = try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'forge.unlink' AND customer_id = ?
                          AND json_extract(details, '$.forge') = ? COLLATE NOCASE)
                        """,
                    arguments: [owner.id, forge.description])
                if unlinkedBefore == true { return nil }
                throw ForgeError.notFound(forge.description)
            }
            try db.execute(sql: "DELETE FROM forge_accounts WHERE id = ?", arguments: [existing.id])
            try Store.audit(
                db, actor: actor, action: "forge.unlink", customerId: owner.id, subject: owner.emailNormalized,
                details: [("forge", .string(forge.description))], at: stamp)
            return existing.id
        }
    }

    /// Forge accounts with their owners' emails, optionally of one customer.
    func forgeAccounts(of customer: CustomerReference?, page: Page) throws -> Paged<LinkedForgeAccount> {
        try read { db in
            let ownerId = try customer.map { try Store.fetchCustomer(db, $0).id }
            let accounts = try Row.fetchAll(
                db,
                sql: """
                    SELECT f.*, c.email AS owner_email FROM forge_accounts f JOIN customers c ON c.id = f.customer_id
                    WHERE (?1 IS NULL OR f.customer_id = ?1) AND f.id > ?2 ORDER BY f.id LIMIT ?3
                    """,
                arguments: [ownerId, page.afterId ?? 0, page.fetchLimit ?? -1]
            ).map { LinkedForgeAccount(account: try ForgeAccount(row: $0), email: $0["owner_email"]) }
            return page.cut(accounts, id: \.account.id)
        }
    }

    private static func forgeAccount(_ db: Database, _ forge: ForgeNamespace) throws -> ForgeAccount? {
        try ForgeAccount.fetchOne(
            db, sql: "SELECT * FROM forge_accounts WHERE forge_type = ? AND namespace = ? COLLATE NOCASE",
            arguments: [forge.type.rawValue, forge.namespace])
    }

    // MARK: - Outbox

    /// Unsent emails due now, oldest first.
    func dueEmails(page: Page) throws -> Paged<DueEmail> {
        let stamp = Timestamp.string(from: now)
        return try read { db in
            // Keyset paging in (due_at, id) order: after the named email's place in that order.
            let due = try Row.fetchAll(
                db,
                sql: """
                    SELECT e.*, c.email AS recipient, c.name AS recipient_name FROM scheduled_emails e
                    JOIN customers c ON c.id = e.customer_id
                    LEFT JOIN scheduled_emails a ON a.id = ?2
                    WHERE e.sent_at IS NULL AND e.due_at <= ?1 AND c.active = 1
                      AND (?2 IS NULL OR e.due_at > a.due_at OR (e.due_at = a.due_at AND e.id > a.id))
                    ORDER BY e.due_at, e.id LIMIT ?3
                    """,
                arguments: [stamp, page.afterId, page.fetchLimit ?? -1]
            ).map {
                DueEmail(email: try ScheduledEmail(row: $0), recipient: $0["recipient"], name: $0["recipient_name"])
            }
            return page.cut(due, id: \.email.id)
        }
    }

    /// Marks emails sent (idempotent) in one transaction; returns each and whether it changed.
    func markEmailsSent(_ ids: [Int64]) throws -> [(ScheduledEmail, Bool)] {
        let stamp = Timestamp.string(from: now)
        return try write { db in
            try ids.map { id in
                guard let email = try ScheduledEmail.fetchOne(db, key: id) else { throw OutboxError.notFound(id) }
                if email.sentAt != nil { return (email, false) }
                try db.execute(sql: "UPDATE scheduled_emails SET sent_at = ? WHERE id = ?", arguments: [stamp, id])
                return (try ScheduledEmail.fetchOne(db, key: id) ?? email, true)
            }
        }
    }
}
