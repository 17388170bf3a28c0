import Foundation
import Testing

@testable import CustomerKit

/// Instants between storage text and `Date`: what custctl stored reads back as the same text, and the
/// storage reader takes legacy forms that an operator's input may not use.
@Suite struct TimestampTests {
    /// Every stored millisecond reads back as a `Date` that is written as the same text, so output
    /// stays byte for byte what is stored (the nearest double alone drifts one millisecond down for
    /// some values, such as `.571` at 1978-05-23T14:04:25).
    @Test func givenStoredText_whenReadAndWrittenAgain_thenTheSameText() {
        var generator = SeededGenerator(seed: 42)
        var texts = ["1978-05-23T14:04:25.853Z", "1970-05-08T02:53:31.310Z", "0001-01-01T00:00:00.000Z"]
        for _ in 0..<20_000 {
            let millis = Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &generator)
            texts.append(Timestamp.string(from: Date(timeIntervalSince1970: Double(millis) / 1000)))
        }
        for millis in 0..<1000 {
            texts.append(Timestamp.string(from: Date(timeIntervalSince1970: 4_102_444_800 + Double(millis) / 1000)))
        }
        let drifted = texts.filter { text in
            StoredValue.instant(text).map(Timestamp.string(from:)) != text
        }
        #expect(drifted == [])
    }

    @Test func givenAnyInstant_whenStoredAndRead_thenItsMillisecondIsKept() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<20_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: 0...4_102_444_800, using: &generator))
            let stored = Timestamp.string(from: date)
            let read = StoredValue.instant(stored)
            #expect(read.map { abs($0.timeIntervalSince(date)) < 0.001 } == true, "\(stored)")
            #expect(read.map(Timestamp.string(from:)) == stored)
        }
    }

    /// Legacy consolidation copies `inserted_at` raw (rollback restores it byte for byte); those
    /// values were UTC without a zone.
    @Test(arguments: [
        ("2024-01-15 10:00:00", "2024-01-15T10:00:00.000Z"),
        ("2024-01-15T10:00:00", "2024-01-15T10:00:00.000Z"),
        ("2024-01-15 10:00:00.123456", "2024-01-15T10:00:00.123Z"),
        ("2024-06-01T00:00:00Z", "2024-06-01T00:00:00.000Z"),
        ("2024-06-01", "2024-06-01T00:00:00.000Z"),
        ("2024-06-01T02:00:00+02:00", "2024-06-01T00:00:00.000Z"),
        ("2026-11-23T15:36:52.123Z", "2026-11-23T15:36:52.123Z"),
    ])
    func givenALegacyForm_whenStorageReadsIt_thenTheInstantInUTC(stored: String, written: String) {
        #expect(StoredValue.instant(stored).map(Timestamp.string(from:)) == written)
    }

    @Test func givenAZonelessTime_whenAnOperatorTypesIt_thenStillRefused() {
        #expect(Timestamp.parse("2024-01-15 10:00:00") == nil)
        #expect(StoredValue.instant("2024-01-15 10:00:00") == Date(timeIntervalSince1970: 1_705_312_800))
    }

    @Test(arguments: [
        "t", "", "garbage", "2024-13-01 10:00:00", "2024-01-15 25:00:00", "2024-01-15 10:00", "1705312800",
        "2024-01-15 10:00:00 UTC", "2024-01-15 10:00:00x", "15/01/2024 10:00",
    ])
    func givenTextThatIsNoInstant_whenStorageReadsIt_thenNil(stored: String) {
        #expect(StoredValue.instant(stored) == nil)
    }
}

/// A stored instant custctl cannot read is a database changed behind its back: a clear error, never a
/// crash and never a made-up time.
@Suite struct UnreadableStoredTimeTests {
    @Test func givenARowWithAnUnreadableInstant_whenRead_thenAnInvariantError() throws {
        let store = try Store.inMemory()
        try store.sqlite.write { db in
            try db.execute(
                sql: """
                    INSERT INTO customers (id, name, email, email_normalized, created_at, updated_at)
                    VALUES (1, 'A', 'a@x.io', 'a@x.io', 'yesterday', '2026-01-01T00:00:00.000Z')
                    """)
        }
        #expect(throws: InvariantError.self) { try store.customer(.id(1)) }
        let error = try #require(throws: InvariantError.self) { try store.customer(.id(1)) }
        #expect(error.description.contains("created_at") && error.description.contains("\"yesterday\""))
    }
}
