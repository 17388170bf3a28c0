import Foundation
import GRDB

// The models carry `Date` and `JSONValue`; SQLite stores text. This file is where stored text becomes
// those types again, and the one place that says which stored forms are read.

/// Stored text read back as the models' types.
enum StoredValue {
    /// An instant as stored: custctl's own form (`Timestamp.string(from:)`, `2026-11-23T15:36:52.123Z`),
    /// any other ISO 8601 form `Timestamp.parse` reads (legacy `2024-06-01T00:00:00Z`), and a date and
    /// time without a zone (`2024-01-15 10:00:00`, which legacy consolidation copies raw from
    /// `inserted_at` so a rollback restores it byte for byte), read as UTC. Nil for anything else.
    static func instant(_ text: String) -> Date? {
        Timestamp.parse(text, zonelessAsUTC: true)
    }

    /// `date` as a row stores it (`text`) and as reading that row gives it back (`instant`, to the
    /// millisecond), so a model built from values just written equals the one read later.
    static func written(_ date: Date) -> (text: String, instant: Date) {
        let text = Timestamp.string(from: date)
        return (text, Timestamp.parse(text) ?? date)
    }
}

extension Row {
    /// The instant in `column`; a value that is not one is a database changed behind custctl's back.
    func instant(_ column: String) throws -> Date {
        guard let instant = try instantIfPresent(column) else {
            throw InvariantError("column \(column) is NULL where an instant must be stored")
        }
        return instant
    }

    /// The instant in `column`, or nil for NULL.
    func instantIfPresent(_ column: String) throws -> Date? {
        guard let text: String = try decode(forColumn: column) else { return nil }
        guard let instant = StoredValue.instant(text) else {
            // Quoted with escapes: the text may hold anything, terminal controls too.
            throw InvariantError(
                "column \(column) holds \(String(reflecting: String(text.prefix(40)))), which is not a stored instant")
        }
        return instant
    }

    /// The JSON in `column`; text that is not JSON is a database changed behind custctl's back.
    func json(_ column: String) throws -> JSONValue {
        let text: String = try decode(forColumn: column)
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw InvariantError("column \(column) holds text that is not JSON (\(error))")
        }
    }
}
