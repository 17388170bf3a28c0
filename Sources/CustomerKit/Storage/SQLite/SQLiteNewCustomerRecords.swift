import Foundation
import GRDB

/// Many new customers on SQLite: row by row through the other records (in-process statements cost no
/// round trip), checking that SQLite gave each row the id reserved for it.
struct SQLiteNewCustomerRecords: NewCustomerRecords {
    let tx: SQLiteTransaction
    private var db: Database { tx.db }

    func reserveIds(customers: Int, ledgerEntries: Int) throws -> (customers: [Int64], ledgerEntries: [Int64]) {
        // A new row gets max(id) + 1, and this IMMEDIATE transaction is the only writer.
        func next(_ count: Int, after sql: String) throws -> [Int64] {
            guard count > 0 else { return [] }
            let last = try Int64.fetchOne(db, sql: sql) ?? 0
            return Array(last + 1...last + Int64(count))
        }
        return (
            try next(customers, after: "SELECT COALESCE(MAX(id), 0) FROM customers"),
            try next(ledgerEntries, after: "SELECT COALESCE(MAX(id), 0) FROM credit_transactions")
        )
    }

    func existing(emails: [String]) throws -> [String: Int64] {
        var found: [String: Int64] = [:]
        let statement = try db.cachedStatement(sql: "SELECT id FROM customers WHERE email_normalized = ?")
        for email in emails {
            if let id = try Int64.fetchOne(statement, arguments: [email]) { found[email] = id }
        }
        return found
    }

    func linked(_ forges: [ForgeNamespace]) throws -> Set<String> {
        // Existence only: decoding each account as a record cost 3% of a bulk provision.
        let statement = try db.cachedStatement(
            sql: "SELECT 1 FROM forge_accounts WHERE forge_type = ? AND namespace = ? COLLATE NOCASE")
        return Set(
            try forges.filter { try Int64.fetchOne(statement, arguments: [$0.type.rawValue, $0.namespace]) != nil }
                .map(\.key))
    }

    func provisionRequests(_ keys: [String]) throws -> [String: (fingerprint: String, result: JSONValue)] {
        var found: [String: (fingerprint: String, result: JSONValue)] = [:]
        for key in keys {
            if let stored = try tx.provisionRequests.find(idempotencyKey: key) { found[key] = stored }
        }
        return found
    }

    func insert(_ batch: [NewCustomerRows], at instant: Date) throws {
        for rows in batch {
            let id = try rows.customer.insert(in: tx, billingCustomerId: rows.billingCustomerId)
            guard id == rows.id else {
                throw InvariantError("customer \(id) was written where \(rows.id) was reserved")
            }
            _ = try tx.apiKeys.insert(
                customerId: id, name: rows.apiKey.name, prefix: rows.apiKey.prefix, hash: rows.apiKey.hash,
                expiresAt: nil, metadata: [], at: instant)
            for forge in rows.forges { try tx.forgeAccounts.insert(customerId: id, forge, at: instant) }
            for email in rows.emails {
                try tx.outbox.insert(customerId: id, template: email.template, due: email.due, at: instant)
            }
            if let grant = rows.grant {
                let entry = try tx.ledger.append(
                    customerId: id, grant.entry, balanceAfter: grant.entry.amount, at: instant)
                guard entry.id == grant.id else {
                    throw InvariantError("ledger entry \(entry.id) was written where \(grant.id) was reserved")
                }
            }
            try tx.audit.append(rows.audit, at: instant)
            if let request = rows.request {
                try tx.provisionRequests.insert(
                    idempotencyKey: request.key, fingerprint: request.fingerprint, customerId: id,
                    result: request.result, at: instant)
            }
        }
    }
}
