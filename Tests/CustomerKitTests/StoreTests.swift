import Foundation
import GRDB
import Testing

@testable import CustomerKit

@Suite struct StoreTests {
    let instant = Date(timeIntervalSince1970: 1_795_000_000.123)

    @Test func givenAnInMemoryStore_whenOpened_thenEveryMigrationIsAppliedAndMarkedDevelopment() throws {
        let store = try Store.inMemory()
        let status = try store.migrationStatus()
        #expect(status.layout == .custctl)
        #expect(status.applied == Migrations.all.map(\.name))
        #expect(status.pending.isEmpty)
        #expect(status.environment == .development)
    }

    @Test func givenAStore_whenRolledBackAndMigratedAgain_thenTheSchemaRoundTrips() throws {
        let store = try Store.inMemory(options: StoreOptions(clock: .fixed(instant)))
        var heard: [String] = []
        let rollback = try store.rollback(.steps(2)) { heard.append($0) }
        #expect(rollback.reverted == Migrations.all.suffix(2).reversed().map(\.name))
        #expect(heard == rollback.reverted.map { "reverted " + $0 })
        #expect(try store.migrationStatus().pending == Migrations.all.suffix(2).map(\.name))
        #expect(throws: StoreError.migrationsPending(Migrations.all.suffix(2).map(\.name))) {
            try store.sqlite.ensureCurrentSchema()
        }
        let run = try store.migrate(mark: .test, actor: tester)
        #expect(run.applied == Migrations.all.suffix(2).map(\.name))
        #expect(run.environment == .test)
        #expect(try store.migrationStatus().pending.isEmpty)
        #expect(try store.rollback(.to("004_create_credit_transactions")).reverted.count == Migrations.all.count - 4)
        #expect(throws: MigrationError.unknownMigration("nope")) { try store.rollback(.to("nope")) }
        _ = try store.rollback(.all)
        #expect(try store.migrationStatus().layout == .empty)
        let tables = try store.sqlite.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master") }
        #expect(tables.isEmpty)
    }

    @Test func givenADryRun_whenMigrateOrRollback_thenNothingChanges() throws {
        let store = try Store.inMemory()
        let dry = try store.rollback(.all, dryRun: true)
        #expect(dry.dryRun)
        #expect(dry.reverted.count == Migrations.all.count)
        #expect(try store.migrationStatus().pending.isEmpty)
    }

    @Test func givenProduction_whenRollingBack_thenRefused() throws {
        let store = try Store.inMemory()
        _ = try store.migrate(mark: .production, actor: tester)
        #expect(throws: StoreError.productionRefused(operation: "roll back migrations")) {
            try store.rollback(.steps(1))
        }
        #expect(try store.migrationStatus().pending.isEmpty)
    }

    @Test func givenTheLedger_whenEntriesBreakTheChainOrAreChanged_thenSQLiteRefuses() throws {
        let store = try Store.inMemory()
        try store.sqlite.write { db in
            try db.execute(
                sql: """
                    INSERT INTO customers (id, name, email, email_normalized, created_at, updated_at)
                    VALUES (1, 'A', 'a@x.io', 'a@x.io', 't', 't')
                    """)
            try insertEntry(db, amount: 5, balanceAfter: 5)
            try insertEntry(db, amount: -2, balanceAfter: 3)
        }
        #expect(throws: StoreError.self) {
            try store.sqlite.write { db in try insertEntry(db, amount: 1, balanceAfter: 9) }
        }
        #expect(throws: StoreError.self) {
            try store.sqlite.write { db in try insertEntry(db, amount: -4, balanceAfter: -1) }
        }
        #expect(throws: StoreError.self) {
            try store.sqlite.write { db in try db.execute(sql: "UPDATE credit_transactions SET amount = 50") }
        }
        #expect(throws: StoreError.self) {
            try store.sqlite.write { db in try db.execute(sql: "DELETE FROM credit_transactions") }
        }
        try store.sqlite.write { db in try db.execute(sql: "DELETE FROM customers WHERE id = 1") }
        let left = try store.sqlite.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM credit_transactions") }
        #expect(left == 0)
    }

    @Test func givenAFile_whenOpened_thenDatabaseWalAndShmAreMode0600() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("custctl-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.db").path
        let previous = umask(0o022)
        defer { umask(previous) }
        let store = try Store.open(path: path)
        _ = try store.migrate(mark: .test, actor: tester)
        for file in [path, path + "-wal", path + "-shm", path + "-lock"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(file)")
        }
        let synchronous = try store.sqlite.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(synchronous == 2)  // FULL
        let foreignKeys = try store.sqlite.read { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }
        #expect(foreignKeys == 1)
    }

    @Test func givenAnInstant_whenFormatted_thenFixedWidthUTCWithMilliseconds() {
        #expect(Timestamp.string(from: instant) == "2026-11-18T11:06:40.123Z")
        #expect(Timestamp.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.parse("2027-01-31T00:00:00Z") == Date(timeIntervalSince1970: 1_801_353_600))
        #expect(Timestamp.parse("2027-01-31") == Date(timeIntervalSince1970: 1_801_353_600))
        #expect(Timestamp.parse("2027-01-31T01:00:00+01:00") == Date(timeIntervalSince1970: 1_801_353_600))
        #expect(Timestamp.parse("tomorrow") == nil)
    }

    /// SPEC 5.10: times are validated as calendar dates, never rolled over, and compared as instants.
    @Test(arguments: [
        "2030-02-30", "2030-02-29", "2030-13-01", "2030-00-10", "2030-04-31", "2030-01-01T24:00:01Z",
        "2030-01-01T23:60:00Z", "2030-01-01T23:59:60Z", "10000-01-01", "2030-1-01", "2030-01-01T10:00:00",
        "2030-01-01T10:00:00+25:00", "2030-01-01T10:00:00.Z", "2030-01-01Z", "0000-01-01",
    ])
    func givenAnImpossibleTime_whenParsed_thenNil(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func givenValidTimes_whenParsed_thenTheInstant() {
        #expect(Timestamp.parse("2028-02-29") == Date(timeIntervalSince1970: 1_835_395_200))
        #expect(Timestamp.parse("2000-02-29T12:00:00Z") == Date(timeIntervalSince1970: 951_825_600))
        #expect(Timestamp.parse("2027-01-31 00:00:00.5Z") == Date(timeIntervalSince1970: 1_801_353_600.5))
        #expect(Timestamp.parse("2027-01-30T19:00:00-05:00") == Date(timeIntervalSince1970: 1_801_353_600))
        #expect(Timestamp.parse("9999-12-31T23:59:59Z") == Date(timeIntervalSince1970: 253_402_300_799))
        for millis in stride(from: 0, to: 1000, by: 7) {
            let date = Date(timeIntervalSince1970: 1_800_000_000 + Double(millis) / 1000)
            #expect(
                Timestamp.parse(Timestamp.string(from: date)).map(Timestamp.string(from:))
                    == Timestamp.string(from: date))
        }
    }

    @Test func givenAwkwardStrings_whenSerialised_thenValidJSON() throws {
        let value = JSONValue.object([
            ("a\"b", .string("line\nbreak\u{1}\\")), ("n", .null), ("list", .array([.int(-3), .bool(true)])),
        ])
        #expect(value.serialized == #"{"a\"b":"line\nbreak\u0001\\","n":null,"list":[-3,true]}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(value.serialized.utf8)) as? [String: Any]
        #expect(parsed?["a\"b"] as? String == "line\nbreak\u{1}\\")
    }

    private func insertEntry(_ db: Database, amount: Int, balanceAfter: Int) throws {
        try db.execute(
            sql: """
                INSERT INTO credit_transactions (customer_id, amount, balance_after, kind, source, created_at)
                VALUES (1, ?, ?, ?, 'manual', 't')
                """,
            arguments: [amount, balanceAfter, amount >= 0 ? "grant" : "consume"])
    }
}
