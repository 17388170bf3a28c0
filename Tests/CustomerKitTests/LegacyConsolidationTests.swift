import Foundation
import GRDB
import Testing

@testable import CustomerKit

/// The round trip of SPEC section 6 on fixtures/legacy/small.sql: record, consolidate, check each
/// rule, roll back, compare.
@Suite struct LegacyConsolidationTests {
    let folder: URL
    let path: String
    let clock = TestClock()

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("custctl-legacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("legacy.db").path
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/legacy/small.sql")
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: String(contentsOf: fixture, encoding: .utf8)) }
        try queue.close()
    }

    static let tables = ["users", "users_tokens", "customers", "api_keys", "forge_accounts", "fix_attempts"]

    private func record(_ store: Store) throws -> [String: [Row]] {
        try store.sqlite.read { db in
            var rows: [String: [Row]] = [:]
            for table in Self.tables {
                rows[table] = try Row.fetchAll(db, sql: "SELECT * FROM " + table + " ORDER BY rowid")
            }
            return rows
        }
    }

    @Test func givenTheSmallFixture_whenConsolidatedAndRolledBack_thenEveryRuleHoldsAndTheLegacyTablesReturn() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store.openForMaintenance(path: path, options: StoreOptions(clock: clock.wallClock))
        #expect(try store.migrationStatus().layout == .legacy)
        let before = try record(store)

        // A dry run reports the same and changes nothing.
        let dry = try store.migrate(dryRun: true, actor: tester)
        #expect(try record(store) == before)
        let run = try store.migrate(actor: tester)
        let report = try #require(run.consolidation)
        #expect(report.counts.map(\.1) == (try #require(dry.consolidation)).counts.map(\.1))
        #expect(run.backupPath != nil && run.environment == .production)
        #expect(try store.environment() == .production)

        // Rule 1: ids, kept fields, created_at, metadata.source.
        let ada = try store.customer(.id(1))
        #expect(ada.email == "Ada@Example.com" && ada.emailNormalized == "ada@example.com")
        #expect(
            ada.createdAt == Timestamp.parse("2024-06-01T00:00:00Z")
                && ada.metadata.serialized == #"{"source":"direct"}"#)
        let alice = try store.customer(.id(3))
        #expect(alice.metadata.serialized == #"{"tier":"gold","source":"legacy"}"#)
        // Rule 5: payment_method_added = 1 without a date takes updated_at.
        #expect(
            alice.paymentMethodAddedAt == Timestamp.parse("2024-08-05T00:00:00Z") && alice.stripeCustomerId == "cus_A1")
        let dan = try store.customer(.id(6))
        #expect(!dan.active && dan.metadata.serialized == #"{"source":"legacy"}"#)
        // Rule 6: the newer duplicate is archived and reported.
        #expect(throws: CustomerError.self) { try store.customer(.id(2)) }
        #expect(
            report.conflicts.contains(
                ConsolidationIssue(table: "customers", id: 2, reason: "duplicate email of customer 1")))
        #expect(report.conflicts.contains { $0.table == "forge_accounts" && $0.id == 2 })
        #expect(report.conflicts.contains { $0.table == "customers" && $0.id == 4 && $0.reason.contains("github_org") })
        #expect(report.conflicts.contains { $0.table == "users" && $0.id == 4 })
        #expect(report.conflicts.contains { $0.table == "api_keys" && $0.id == 3 })
        #expect(report.archivedColumns.contains("customers.referral_code"))

        // Rule 2: every key string keeps authenticating; only hashes are stored.
        let keys = APIKeys(store: store)
        for (key, owner) in [
            ("sk_live_ada_inline_0001", "Ada@Example.com"), ("sk_live_ada_dup_0002", "Ada@Example.com"),
            ("sk_live_carol_shared_05", "carol@example.com"),
        ] {
            #expect(try keys.verify(key).customerEmail == owner, "\(key)")
        }
        #expect(throws: APIKeyError.invalidKey) { try keys.verify("sk_live_bob_0001") }  // inactive in legacy
        #expect(try keys.list(for: .id(5)).count == 1)  // inline and api_keys row were one key
        for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            for secret in [
                "sk_live_ada_inline_0001", "sk_live_carol_shared_05", "sk_live_bob_0001", "sk_live_orphan_0003",
            ] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) in \(file)")
            }
        }

        // Rule 3 and 6: forge accounts without duplicates.
        let forges = try ForgeAccounts(store: store).list(for: nil).map {
            "\($0.account.forgeType.rawValue):\($0.account.namespace.lowercased())"
        }
        #expect(forges.sorted() == ["github:ada-labs", "gitlab:alice/tools"])

        // Rule 4: users merge; hashes are kept ($2y$ too) and upgraded at the next login.
        let auth = Authenticator(store: store, hasher: try PasswordHasher(cost: 10))
        #expect(try store.customer(.id(3)).passwordHash?.hasPrefix("$2y$04$") == true)
        #expect(try auth.login(email: "ÄLICE@example.com", password: "Tr1cky-Falcon-Orbit").id == 3)
        #expect(try store.customer(.id(3)).passwordHash?.hasPrefix("$2b$10$") == true)
        let grace = try store.customer(.email(try EmailAddress("grace@example.com")))
        #expect(
            grace.name == "grace" && grace.metadata.serialized.contains("legacy_user")
                && grace.confirmedAt == Timestamp.parse("2025-02-01T00:00:00Z"))

        // Rule 7: fix_attempts stay (the duplicate's follows the kept customer).
        #expect(
            try store.sqlite.read { db in
                try Int64.fetchAll(db, sql: "SELECT customer_id FROM fix_attempts ORDER BY id")
            }
                == [1, 1])
        #expect(try store.sqlite.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }.isEmpty)

        // Rule 9: rollback gives the legacy tables back exactly, but for plaintext keys.
        #expect(throws: StoreError.productionRefused(operation: "roll back migrations")) { try store.rollback(.all) }
        _ = try store.migrate(mark: .staging, actor: tester)
        let rollback = try store.rollback(.all, backup: false)
        let restored = try #require(rollback.legacy)
        #expect(
            Set(restored.keysNotRestored.map { "\($0.table) \($0.id)" }) == [
                "customers 1", "customers 2", "customers 5", "api_keys 1", "api_keys 2", "api_keys 3",
            ])
        #expect(try store.migrationStatus().layout == .legacy)
        let after = try record(store)
        for table in Self.tables {
            let expected = try #require(before[table]).map { row -> [DatabaseValue] in
                zip(row.columnNames, row.databaseValues).map { column, value in
                    let secret =
                        (table == "customers" && column == "api_key") || (table == "api_keys" && column == "key")
                    guard secret, let key = String.fromDatabaseValue(value) else { return value }
                    return ("sha256:" + APIKeyFormat.hash(key)).databaseValue
                }
            }
            #expect(try #require(after[table]).map { Array($0.databaseValues) } == expected, "\(table)")
        }
    }
}

/// Legacy rows may hold date-times without a zone (`2024-01-15 10:00:00`); consolidation copies them
/// raw, so a rollback restores them byte for byte, and the models read them as UTC.
@Suite struct LegacyZonelessTimeTests {
    @Test func givenZonelessLegacyTimes_whenConsolidated_thenReadAsUTCAndRestoredByteForByte() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "custctl-legacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("legacy.db").path
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/legacy/small.sql")
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: String(contentsOf: fixture, encoding: .utf8))
            try db.execute(
                sql: "UPDATE customers SET inserted_at = '2024-01-15 10:00:00', updated_at = '2024-01-15 11:30:00.250' "
                    + "WHERE id = 1")
        }
        try queue.close()

        let store = try Store.openForMaintenance(path: path, options: StoreOptions(clock: TestClock().wallClock))
        _ = try store.migrate(actor: tester)
        _ = try store.migrate(mark: .staging, actor: tester)
        let ada = try store.customer(.id(1))
        #expect(ada.createdAt == Date(timeIntervalSince1970: 1_705_312_800))
        #expect(Timestamp.string(from: ada.updatedAt) == "2024-01-15T11:30:00.250Z")
        let stored = try store.sqlite.read { db in
            try Row.fetchOne(db, sql: "SELECT created_at, updated_at FROM customers WHERE id = 1")
        }
        #expect(stored?["created_at"] == "2024-01-15 10:00:00" && stored?["updated_at"] == "2024-01-15 11:30:00.250")

        _ = try store.rollback(.all, backup: false)
        let restored = try store.sqlite.read { db in
            try Row.fetchOne(db, sql: "SELECT inserted_at, updated_at FROM customers WHERE id = 1")
        }
        #expect(
            restored?["inserted_at"] == "2024-01-15 10:00:00" && restored?["updated_at"] == "2024-01-15 11:30:00.250")
    }
}
