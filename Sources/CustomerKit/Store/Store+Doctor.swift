import Foundation
import GRDB

/// One thing `doctor` found wrong.
public struct Problem: Sendable, Equatable {
    /// The check that found it (`integrity`, `foreign_keys`, `ledger_chain`, ...).
    public let check: String
    /// What is wrong, with the ids involved.
    public let detail: String
}

/// What `doctor` checked and found.
public struct DoctorReport: Sendable, Equatable {
    public let checks: [String]
    public let problems: [Problem]
    public var healthy: Bool { problems.isEmpty }
}

extension Store {
    /// Checks the file, the schema and the invariants SQLite cannot enforce by itself.
    public func diagnose() throws -> DoctorReport {
        var problems: [Problem] = []
        var checks: [String] = []
        func check(_ name: String, _ body: () throws -> [String]) rethrows {
            checks.append(name)
            problems += try body().map { Problem(check: name, detail: $0) }
        }
        if let path {
            check("file_permissions") {
                [path, path + "-wal", path + "-shm"].compactMap { file in
                    var info = stat()
                    guard stat(file, &info) == 0 else { return nil }
                    let mode = info.st_mode & 0o777
                    return mode & 0o077 == 0 ? nil : "\(file) has mode \(String(mode, radix: 8)); run chmod 600 on it"
                }
            }
        }
        try read { db in
            try check("integrity") {
                try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            }
            try check("foreign_keys") {
                try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row in
                    "\(row[0] as String? ?? "?") row \(row[1] as Int64? ?? 0) points to a missing \(row[2] as String? ?? "?") row"
                }
            }
            let status = try Store.status(db)
            try check("schema") {
                var found: [String] = []
                if status.layout == .legacy {
                    found.append("the database has the legacy layout; run 'custctl migrate'")
                }
                if !status.pending.isEmpty {
                    found.append("pending migrations: " + status.pending.joined(separator: ", "))
                }
                if !status.unknown.isEmpty {
                    found.append("migrations from a newer custctl: " + status.unknown.joined(separator: ", "))
                }
                return found
            }
            guard status.layout == .custctl, status.pending.isEmpty else { return }
            try check("ledger_chain") {
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, customer_id FROM (
                          SELECT id, customer_id, balance_after, amount,
                            lag(balance_after, 1, 0) OVER (PARTITION BY customer_id ORDER BY id) AS previous
                          FROM credit_transactions)
                        WHERE balance_after <> previous + amount
                        """
                ).map {
                    "ledger entry \($0[0] as Int64) of customer \($0[1] as Int64) does not follow the previous balance"
                }
            }
            try check("ledger_non_negative") {
                try Int64.fetchAll(db, sql: "SELECT id FROM credit_transactions WHERE balance_after < 0").map {
                    "ledger entry \($0) has a negative balance"
                }
            }
            try check("ledger_idempotency") {
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT customer_id, idempotency_key, count(*) FROM credit_transactions
                        WHERE idempotency_key IS NOT NULL GROUP BY customer_id, idempotency_key HAVING count(*) > 1
                        """
                ).map {
                    "idempotency key '\($0[1] as String)' of customer \($0[0] as Int64) applies \($0[2] as Int64) times"
                }
            }
            try check("ledger_lots") {
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT c.id, COALESCE((SELECT balance_after FROM credit_transactions t WHERE t.customer_id = c.id ORDER BY t.id DESC LIMIT 1), 0) AS balance,
                          COALESCE((SELECT SUM(remaining) FROM credit_lots l WHERE l.customer_id = c.id), 0) AS lots
                        FROM customers c WHERE balance <> lots
                        """
                ).map { "customer \($0[0] as Int64): balance \($0[1] as Int64) but its grants hold \($0[2] as Int64)" }
            }
            try check("orphans") {
                var found: [String] = []
                for table in ["api_keys", "forge_accounts", "credit_transactions", "credit_lots", "scheduled_emails"] {
                    let count =
                        try Int.fetchOne(
                            db,
                            sql: "SELECT count(*) FROM " + table
                                + " t WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = t.customer_id)") ?? 0
                    if count > 0 { found.append("\(count) \(table) row(s) without a customer") }
                }
                return found
            }
            try check("provisioning") {
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT a.customer_id,
                          EXISTS (SELECT 1 FROM api_keys k WHERE k.customer_id = a.customer_id) AS has_key,
                          COALESCE(json_extract(a.details, '$.trial_credits'), 5) = 0
                            OR EXISTS (SELECT 1 FROM credit_transactions t WHERE t.customer_id = a.customer_id AND t.source = 'trial_signup') AS has_grant
                        FROM audit_log a JOIN customers c ON c.id = a.customer_id
                        WHERE a.action = 'customer.provision' AND (NOT has_key OR NOT has_grant)
                        """
                ).map { row in
                    let id: Int64 = row[0]
                    return (row[1] as Bool)
                        ? "customer \(id) was provisioned without its trial grant"
                        : "customer \(id) was provisioned without an API key"
                }
            }
        }
        return DoctorReport(checks: checks, problems: problems)
    }
}
