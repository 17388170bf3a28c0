import Foundation
import Testing

@testable import CustomerKit

@Suite struct ThrottleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func givenFiveFailures_when59Point9SecondsPass_thenLocked_andAt60Point1_free() {
        let policy = ThrottlePolicy()
        let attempts = Array(repeating: start, count: 5)
        #expect(policy.retryAfter(attempts: Array(attempts.prefix(4)), now: start) == nil)
        #expect(policy.retryAfter(attempts: attempts, now: start.addingTimeInterval(59.9)) == 1)
        #expect(policy.retryAfter(attempts: attempts, now: start) == 60)
        #expect(policy.retryAfter(attempts: attempts, now: start.addingTimeInterval(60.1)) == nil)
    }

    @Test func givenSpreadFailures_whenTheWindowSlides_thenTheOldestMustLeave() {
        let policy = ThrottlePolicy()
        let attempts = (0..<6).map { start.addingTimeInterval(Double($0) * 10) }  // 0, 10, ... 50 s
        // At 55 s six are inside: two must leave; the second leaves at 70 s.
        #expect(policy.retryAfter(attempts: attempts, now: start.addingTimeInterval(55)) == 15)
    }

    @Test func givenOneFailureEvery36Seconds_whenTheHourFills_thenAttempt101IsRefused() {
        let policy = ThrottlePolicy()
        let attempts = (0..<100).map { start.addingTimeInterval(Double($0) * 36) }  // 2 per minute, 100 in 3564 s
        let now = start.addingTimeInterval(3564 + 20)
        #expect(policy.retryAfter(attempts: Array(attempts.dropFirst()), now: now) == nil)  // 99 in the hour
        #expect(policy.retryAfter(attempts: attempts, now: now) == 16)  // the first leaves the hour at 3600 s
    }

    @Test func givenCustomLimits_whenConfigured_thenUsed() {
        let policy = ThrottlePolicy(maxAttempts: 2, window: 10)
        let attempts = [start, start.addingTimeInterval(1)]
        #expect(policy.retryAfter(attempts: attempts, now: start.addingTimeInterval(2)) == 8)
        #expect(policy.retryAfter(attempts: attempts, now: start.addingTimeInterval(10.5)) == nil)
    }
}
