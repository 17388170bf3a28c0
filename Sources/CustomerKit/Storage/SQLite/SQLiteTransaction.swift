import Foundation
import GRDB

/// One SQLite transaction: the records of every aggregate over its connection.
final class SQLiteTransaction: StorageTransaction {
    let db: Database
    let now: Date

    init(_ db: Database, now: Date) {
        self.db = db
        self.now = now
    }

    var customers: any CustomerRecords { SQLiteCustomerRecords(db: db, now: now) }
    var logins: any LoginRecords { SQLiteLoginRecords(db: db) }
    var apiKeys: any APIKeyRecords { SQLiteAPIKeyRecords(db: db) }
    var forgeAccounts: any ForgeRecords { SQLiteForgeRecords(db: db) }
    var outbox: any OutboxRecords { SQLiteOutboxRecords(db: db) }
    var ledger: any LedgerRecords { SQLiteLedgerRecords(db: db) }
    var audit: any AuditRecords { SQLiteAuditRecords(db: db) }
    var seedRuns: any SeedRecords { SQLiteSeedRecords(db: db) }
    var provisionRequests: any ProvisionRecords { SQLiteProvisionRecords(db: db) }
    var newCustomers: any NewCustomerRecords { SQLiteNewCustomerRecords(tx: self) }
}

extension Database {
    /// Runs a statement SQLite keeps prepared for the connection's lifetime (the hot paths).
    func run(_ sql: String, _ arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
