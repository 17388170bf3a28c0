import Foundation

/// `login_attempts` on PostgreSQL. In a write transaction the methods that read an email's attempts
/// first take the advisory lock `login:EMAIL`, so the throttle counts exactly across processes (SQLite
/// serialises every writer instead).
struct PostgreSQLLoginRecords: LoginRecords {
    let tx: PostgreSQLTransaction
    private var s: String { tx.s }

    private func lock(_ email: String) throws {
        try tx.lock("login:" + email)
    }

    func deleteAttempts(_ email: String, through instant: Date) throws {
        try lock(email)
        try tx.query(
            "DELETE FROM \(s).login_attempts WHERE email_normalized = $1 AND attempted_at <= $2", [email, instant])
    }

    func unsuccessfulAttempts(_ email: String, after instant: Date) throws -> [Date] {
        try lock(email)
        return try tx.query(
            """
            SELECT attempted_at FROM \(s).login_attempts
            WHERE email_normalized = $1 AND outcome <> 'success' AND attempted_at > $2
            ORDER BY attempted_at
            """,
            [email, instant]
        ).rows.map { try $0.date(0) }
    }

    func unsuccessfulAttemptsByEmail(_ email: String?, after instant: Date) throws -> [(
        email: String, attempts: [Date]
    )] {
        if let email { try lock(email) }
        let rows = try tx.query(
            """
            SELECT email_normalized, attempted_at FROM \(s).login_attempts
            WHERE outcome <> 'success' AND attempted_at > $1 AND ($2::text IS NULL OR email_normalized = $2::text)
            ORDER BY email_normalized COLLATE "C", attempted_at
            """,
            [instant, email])
        var byEmail: [(email: String, attempts: [Date])] = []
        for row in rows.rows {
            let address = try row.string(0)
            let attempt = try row.date(1)
            if byEmail.last?.email == address {
                byEmail[byEmail.count - 1].attempts.append(attempt)
            } else {
                byEmail.append((address, [attempt]))
            }
        }
        return byEmail
    }

    func insertPending(_ email: String, at instant: Date) throws -> Int64 {
        try lock(email)
        return try tx.query(
            """
            INSERT INTO \(s).login_attempts (email_normalized, attempted_at, outcome) VALUES ($1, $2, 'pending')
            RETURNING id
            """,
            [email, instant]
        ).first?.int64(0) ?? 0
    }

    func markFailed(_ attemptId: Int64) throws {
        try tx.query("UPDATE \(s).login_attempts SET outcome = 'failure' WHERE id = $1", [attemptId])
    }

    func clearFailures(_ email: String, andAttempt attemptId: Int64) throws {
        try tx.query(
            "DELETE FROM \(s).login_attempts WHERE email_normalized = $1 AND (outcome = 'failure' OR id = $2)",
            [email, attemptId])
    }

    func clearUnsuccessful(_ email: String) throws {
        try tx.query("DELETE FROM \(s).login_attempts WHERE email_normalized = $1 AND outcome <> 'success'", [email])
    }

    func deleteAll(_ email: String) throws -> Int {
        try tx.query("DELETE FROM \(s).login_attempts WHERE email_normalized = $1", [email]).affected
    }

    func deleteEveryAttempt() throws {
        try tx.query("DELETE FROM \(s).login_attempts")
    }

    func count(_ email: String) throws -> Int {
        try lock(email)
        return try tx.query("SELECT count(*) FROM \(s).login_attempts WHERE email_normalized = $1", [email]).first?
            .int(0) ?? 0
    }
}
