import Foundation
import GRDB

/// `login_attempts` on SQLite.
struct SQLiteLoginRecords: LoginRecords {
    let db: Database

    func deleteAttempts(_ email: String, through instant: Date) throws {
        try db.run(
            "DELETE FROM login_attempts WHERE email_normalized = ? AND attempted_at <= ?",
            [email, Timestamp.string(from: instant)])
    }

    func unsuccessfulAttempts(_ email: String, after instant: Date) throws -> [Date] {
        try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT attempted_at FROM login_attempts
                    WHERE email_normalized = ? AND outcome <> 'success' AND attempted_at > ?
                    """),
            arguments: [email, Timestamp.string(from: instant)]
        ).compactMap(Timestamp.parse)
    }

    func unsuccessfulAttemptsByEmail(_ email: String?, after instant: Date) throws -> [(
        email: String, attempts: [Date]
    )] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT email_normalized, attempted_at FROM login_attempts
                WHERE outcome <> 'success' AND attempted_at > ? AND (? IS NULL OR email_normalized = ?)
                ORDER BY email_normalized, attempted_at
                """,
            arguments: [Timestamp.string(from: instant), email, email])
        var byEmail: [(email: String, attempts: [Date])] = []
        for row in rows {
            let address: String = row["email_normalized"]
            guard let attempt = Timestamp.parse(row["attempted_at"]) else { continue }
            if byEmail.last?.email == address {
                byEmail[byEmail.count - 1].attempts.append(attempt)
            } else {
                byEmail.append((address, [attempt]))
            }
        }
        return byEmail
    }

    func insertPending(_ email: String, at instant: Date) throws -> Int64 {
        try db.run(
            "INSERT INTO login_attempts (email_normalized, attempted_at, outcome) VALUES (?, ?, 'pending')",
            [email, Timestamp.string(from: instant)])
        return db.lastInsertedRowID
    }

    func markFailed(_ attemptId: Int64) throws {
        try db.run("UPDATE login_attempts SET outcome = 'failure' WHERE id = ?", [attemptId])
    }

    func clearFailures(_ email: String, andAttempt attemptId: Int64) throws {
        try db.run(
            "DELETE FROM login_attempts WHERE email_normalized = ? AND (outcome = 'failure' OR id = ?)",
            [email, attemptId])
    }

    func clearUnsuccessful(_ email: String) throws {
        try db.run("DELETE FROM login_attempts WHERE email_normalized = ? AND outcome <> 'success'", [email])
    }

    func deleteAll(_ email: String) throws -> Int {
        try db.run("DELETE FROM login_attempts WHERE email_normalized = ?", [email])
        return db.changesCount
    }

    func deleteEveryAttempt() throws {
        try db.run("DELETE FROM login_attempts")
    }

    func count(_ email: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM login_attempts WHERE email_normalized = ?", arguments: [email])
            ?? 0
    }
}
