import Foundation

/// The one text form of instants in the database and output: `2026-11-23T15:36:52.123Z` (UTC,
/// milliseconds, fixed width, so text order is time order).
public enum Timestamp {
    /// Formats an instant, truncated to the millisecond. A transaction stamps every row it writes with
    /// its one instant, and provisioning gives every customer the same few due dates, so the last few
    /// results are kept and reused.
    public static func string(from date: Date) -> String {
        recent.lock.lock()
        defer { recent.lock.unlock() }
        if let known = recent.entries.first(where: { $0.date == date }) { return known.text }
        let text = format(date)
        if recent.entries.count < RecentlyFormatted.capacity {
            recent.entries.append((date, text))
        } else {
            recent.entries[recent.oldest] = (date, text)
            recent.oldest = (recent.oldest + 1) % RecentlyFormatted.capacity
        }
        return text
    }

    private final class RecentlyFormatted: @unchecked Sendable {
        static let capacity = 8
        let lock = NSLock()
        var entries: [(date: Date, text: String)] = []
        var oldest = 0
    }

    private static let recent = RecentlyFormatted()

    /// Milliseconds since 1970, rounded down: the instant `string(from:)` writes.
    private static func millisecondsSince1970(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    private static func format(_ date: Date) -> String {
        let millisTotal = millisecondsSince1970(date)
        var seconds = time_t(millisTotal >= 0 ? millisTotal / 1000 : (millisTotal - 999) / 1000)
        let millis = Int(millisTotal - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-"
            + pad(Int(parts.tm_mday), 2) + "T" + pad(Int(parts.tm_hour), 2) + ":"
            + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2) + "." + pad(millis, 3) + "Z"
    }

    /// Parses ISO 8601 as operators type it: a date (`2027-01-31`, midnight UTC) or a date and
    /// time (`T` or a space between) with `Z` or an offset, with or without fractional seconds. Strict:
    /// every field is checked against the calendar (`2030-02-30` and `24:00:01` are nil, never rolled
    /// over), and the year has four digits, so every stored instant keeps the fixed-width form above.
    public static func parse(_ text: String) -> Date? {
        parse(text, zonelessAsUTC: false)
    }

    /// `parse`, and with `zonelessAsUTC` also a date and time without a zone (`2024-01-15 10:00:00`),
    /// read as UTC. Only storage reads that: legacy consolidation copies such values (`inserted_at`)
    /// byte for byte, and they were UTC; an operator's zone-less time stays ambiguous and refused.
    static func parse(_ text: String, zonelessAsUTC: Bool) -> Date? {
        var scanner = DigitScanner(text)
        guard let year = scanner.number(digits: 4), year >= 1, scanner.take("-"),
            let month = scanner.number(digits: 2), (1...12).contains(month), scanner.take("-"),
            let day = scanner.number(digits: 2), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var seconds = Int64(daysSinceEpoch(year: year, month: month, day: day)) * 86_400
        if scanner.atEnd { return instant(seconds: seconds, nanoseconds: 0) }
        guard scanner.take("T") || scanner.take("t") || scanner.take(" "),
            let hour = scanner.number(digits: 2), hour <= 23, scanner.take(":"),
            let minute = scanner.number(digits: 2), minute <= 59, scanner.take(":"),
            let second = scanner.number(digits: 2), second <= 59
        else { return nil }
        seconds += Int64(hour * 3600 + minute * 60 + second)
        var nanoseconds = 0
        if scanner.take(".") {
            guard let fraction = scanner.nanoseconds() else { return nil }
            nanoseconds = fraction
        }
        if scanner.take("Z") || scanner.take("z") {
            // UTC
        } else if let sign = scanner.takeSign() {
            guard let offsetHours = scanner.number(digits: 2), offsetHours <= 23, scanner.take(":"),
                let offsetMinutes = scanner.number(digits: 2), offsetMinutes <= 59
            else { return nil }
            seconds -= Int64(sign * (offsetHours * 3600 + offsetMinutes * 60))
        } else if !(zonelessAsUTC && scanner.atEnd) {
            return nil  // a time without a zone is ambiguous
        }
        return scanner.atEnd ? instant(seconds: seconds, nanoseconds: nanoseconds) : nil
    }

    /// The instant `seconds` and `nanoseconds` after 1970, as the double that `string(from:)` writes
    /// back with the same millisecond. The nearest double alone can fall a hair below it (`.571`
    /// read as `.57099999`, written `.570`), so a model read from storage and written out again
    /// would drift; it is nudged by the smallest steps until the millisecond matches.
    static func instant(seconds: Int64, nanoseconds: Int) -> Date {
        let target = seconds * 1000 + Int64(nanoseconds / 1_000_000)
        var date = Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1_000_000_000)
        for _ in 0..<64 {
            let written = millisecondsSince1970(date)
            if written == target { break }
            let interval = date.timeIntervalSinceReferenceDate
            date = Date(timeIntervalSinceReferenceDate: written < target ? interval.nextUp : interval.nextDown)
        }
        return date
    }

    private static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Reads fixed-width ASCII fields off the front of a string.
    private struct DigitScanner {
        private let bytes: [UInt8]
        private var index = 0

        /// The bytes of `text` without leading and trailing spaces and tabs.
        init(_ text: String) { bytes = Array(Text.trimmingSpaces(text).utf8) }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ character: Character) -> Bool {
            guard let ascii = character.asciiValue, index < bytes.count, bytes[index] == ascii else { return false }
            index += 1
            return true
        }

        mutating func takeSign() -> Int? {
            if take("+") { return 1 }
            if take("-") { return -1 }
            return nil
        }

        /// Exactly `digits` decimal digits.
        mutating func number(digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + digits] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += digits
            return value
        }

        /// One to nine digits after the decimal point, as nanoseconds.
        mutating func nanoseconds() -> Int? {
            var digits = 0
            var scale = 1
            while index < bytes.count, (0x30...0x39).contains(bytes[index]), scale < 1_000_000_000 {
                digits = digits * 10 + Int(bytes[index] - 0x30)
                scale *= 10
                index += 1
            }
            return scale > 1 ? digits * (1_000_000_000 / scale) : nil
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension Timestamp {
    /// Parses an instant an operator typed (`parse`), or throws `TimeError`.
    public static func instant(_ text: String) throws -> Date {
        guard let date = parse(text) else { throw TimeError(text: text) }
        return date
    }
}

/// A time that is not ISO 8601 as `Timestamp.parse` reads it (65, `invalid_time`).
public struct TimeError: DomainError, Equatable {
    public let text: String

    public var kind: FailureKind { .invalidData }
    public var code: String { "invalid_time" }
    public var description: String { "invalid time '\(text)': use ISO 8601, like 2027-01-31T00:00:00Z" }
}
