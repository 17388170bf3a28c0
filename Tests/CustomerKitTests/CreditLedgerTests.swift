import Foundation
import GRDB
import Testing

@testable import CustomerKit

@Suite struct CreditLedgerTests {
    let clock = TestClock()
    let store: Store
    let ledger: CreditLedger
    let ada: CustomerReference

    init() throws {
        let (store, auth) = try makeAuthenticator(clock: clock)
        _ = try auth.register(
            Registration(email: "ada@example.com", name: "Ada", password: strongPassword), actor: tester)
        self.store = store
        self.ledger = CreditLedger(store: store)
        self.ada = .email(try EmailAddress("ada@example.com"))
    }

    private func sumOfEntries() throws -> Int64 {
        try store.sqlite.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(amount), 0) FROM credit_transactions") ?? 0
        }
    }

    private func newestBalanceAfter() throws -> Int64 {
        try store.sqlite.read { db in
            try Int64.fetchOne(db, sql: "SELECT balance_after FROM credit_transactions ORDER BY id DESC LIMIT 1") ?? 0
        }
    }

    @Test func givenGrantsWithDifferentExpiries_whenConsuming_thenSoonestExpiringGoesFirst() throws {
        _ = try ledger.grant(ada, amount: 5, source: "manual", actor: tester)
        _ = try ledger.grant(
            ada, amount: 3, source: "promo", expiresAt: clock.now.addingTimeInterval(10), actor: tester)
        _ = try ledger.grant(ada, amount: 2, source: "promo", expiresAt: clock.now.addingTimeInterval(5), actor: tester)
        let result = try ledger.consume(ada, fixes: 4, fixId: "fix-1")
        #expect(result.creditsUsed == 4 && result.balance == 6 && result.chargedFixes == 0)
        let lots = try store.sqlite.read { db in
            try Row.fetchAll(db, sql: "SELECT remaining FROM credit_lots ORDER BY grant_id").map { $0[0] as Int64 }
        }
        #expect(lots == [5, 1, 0])
        #expect(try newestBalanceAfter() == sumOfEntries())
    }

    @Test func givenAnExpiringGrant_thenItStopsCountingAtItsInstantAndIsWrittenOffOnTheNextChange() throws {
        _ = try ledger.grant(ada, amount: 4, source: "manual", actor: tester)
        _ = try ledger.grant(
            ada, amount: 3, source: "promo", expiresAt: clock.now.addingTimeInterval(10), actor: tester)
        clock.advance(9.999)
        #expect(try ledger.balance(ada).balance == 7)
        clock.advance(0.001)
        #expect(try ledger.balance(ada).balance == 4)
        let consumed = try ledger.consume(ada, fixes: 1)
        #expect(consumed.balance == 3)
        let kinds = try ledger.history(ada).entries.map(\.kind)
        #expect(kinds == [.consume, .expire, .grant, .grant])
        #expect(try ledger.history(ada).entries[1].amount == -3)
        #expect(try newestBalanceAfter() == sumOfEntries())
        #expect(try ledger.balance(ada).balance == 3)
    }

    @Test func givenNoCreditsAndNoPaymentMethod_whenConsuming_thenRefusedAndNothingWritten() throws {
        _ = try ledger.grant(ada, amount: 2, source: "trial_signup", actor: tester)
        #expect(throws: CreditsError.insufficientCredits(balance: 2, needed: 3)) { try ledger.consume(ada, fixes: 3) }
        #expect(try ledger.history(ada).entries.count == 1)
        _ = try ledger.consume(ada, fixes: 2)
        #expect(throws: CreditsError.insufficientCredits(balance: 0, needed: 1)) { try ledger.consume(ada) }
        let summary = try ledger.summary(ada)
        #expect(summary.warnings == ["low_balance", "critical"])
        #expect(summary.usageThisPeriod == 2)
    }

    @Test func givenAPaymentMethod_whenCreditsRunOut_thenEachFurtherFixIsChargedAtThePlanRate() throws {
        #expect(throws: CreditsError.consentRequired) {
            try ledger.addPaymentMethod(ada, consent: false, actor: tester)
        }
        let added = try ledger.addPaymentMethod(ada, consent: true, actor: tester)
        #expect(added.changed && added.customer.customerType == .paid && added.customer.subscriptionStatus == .active)
        #expect(try !ledger.addPaymentMethod(ada, consent: true, actor: tester).changed)
        _ = try ledger.grant(ada, amount: 1, source: "trial_signup", actor: tester)
        let mixed = try ledger.consume(ada, fixes: 3)
        #expect(mixed.creditsUsed == 1 && mixed.chargedFixes == 2 && mixed.chargeCents == 5800 && mixed.balance == 0)
        let charge = try #require(try ledger.history(ada).entries.first)
        #expect(charge.kind == .charge && charge.chargeCents == 5800 && charge.amount == 0)
        #expect(try ledger.summary(ada).warnings == ["low_balance"])
    }

    @Test func givenPro_whenPaidAndCanceled_thenCreditsPerPeriodOnceAndPricesFollowTheCancelMode() throws {
        #expect(throws: CreditsError.paymentMethodRequired("ada@example.com")) {
            try ledger.subscribePro(ada, actor: tester)
        }
        _ = try ledger.addPaymentMethod(ada, consent: true, actor: tester)
        let periodEnd = clock.now.addingTimeInterval(30 * 86400)
        let subscribed = try ledger.subscribePro(ada, periodEnd: periodEnd, actor: tester)
        #expect(subscribed.granted?.amount == 60 && subscribed.granted?.source == "pro_subscription_payment")
        #expect(try ledger.balance(ada).balance == 60)
        let samePeriod = try ledger.recordProPayment(ada, periodEnd: periodEnd, actor: tester)
        #expect(!samePeriod.changed)
        #expect(try ledger.balance(ada).balance == 60)
        let nextEnd = periodEnd.addingTimeInterval(30 * 86400)
        #expect(try ledger.recordProPayment(ada, periodEnd: nextEnd, actor: tester).granted?.amount == 60)
        #expect(try ledger.balance(ada).balance == 120)
        _ = try ledger.consume(ada, fixes: 120)
        #expect(try ledger.consume(ada).chargeCents == 1500)
        _ = try ledger.cancel(ada, atPeriodEnd: true, actor: tester)
        #expect(try ledger.consume(ada).chargeCents == 1500)
        #expect(try ledger.summary(ada).plan == .pro)
        clock.advance(60 * 86400)
        #expect(try ledger.consume(ada).chargeCents == 2900)
        #expect(try ledger.summary(ada).plan == .payAsYouGo)
        #expect(throws: CreditsError.notSubscribed("ada@example.com")) {
            try ledger.recordProPayment(ada, periodEnd: clock.now.addingTimeInterval(86400), actor: tester)
        }
    }

    @Test func givenProCanceledImmediately_thenThePayAsYouGoRateAppliesAtOnce() throws {
        _ = try ledger.addPaymentMethod(ada, consent: true, actor: tester)
        _ = try ledger.subscribePro(ada, actor: tester)
        _ = try ledger.consume(ada, fixes: 60)
        #expect(try ledger.consume(ada).chargeCents == 1500)
        let canceled = try ledger.cancel(ada, atPeriodEnd: false, actor: tester)
        #expect(
            canceled.customer.subscriptionPlan == .payAsYouGo && canceled.customer.subscriptionStatus == .canceled)
        #expect(try ledger.consume(ada).chargeCents == 2900)
        #expect(try ledger.summary(ada).fixCents == 2900)
    }

    @Test func givenAnIdempotencyKey_thenTheSameRequestReplaysAndADifferentOneConflicts() throws {
        let first = try ledger.grant(ada, amount: 5, source: "purchase", idempotencyKey: "order-1", actor: tester)
        let again = try ledger.grant(ada, amount: 5, source: "purchase", idempotencyKey: "order-1", actor: tester)
        #expect(!first.replayed && again.replayed && again.entry == first.entry)
        #expect(throws: CreditsError.idempotencyConflict("order-1")) {
            try ledger.grant(ada, amount: 6, source: "purchase", idempotencyKey: "order-1", actor: tester)
        }
        let used = try ledger.consume(ada, fixes: 2, fixId: "f", idempotencyKey: "deploy-1")
        let replayed = try ledger.consume(ada, fixes: 2, fixId: "f", idempotencyKey: "deploy-1")
        #expect(replayed.replayed && replayed.creditsUsed == used.creditsUsed && replayed.balance == used.balance)
        #expect(try ledger.balance(ada).balance == 3)
        #expect(throws: CreditsError.idempotencyConflict("deploy-1")) {
            try ledger.consume(ada, fixes: 1, idempotencyKey: "deploy-1")
        }
    }

    @Test func givenBadValues_thenInvalidDataAndNothingWritten() throws {
        #expect(throws: CreditsError.invalidAmount("0")) { try CreditLedger.amount("0") }
        #expect(throws: CreditsError.invalidAmount("-5")) { try CreditLedger.amount("-5") }
        #expect(throws: CreditsError.invalidAmount("1000001")) { try CreditLedger.amount("1000001") }
        #expect(throws: CreditsError.invalidAmount("99999999999999999999")) {
            try CreditLedger.amount("99999999999999999999")
        }
        #expect(try CreditLedger.amount(" 7 ") == 7)
        #expect(throws: TimeError(text: "next tuesday")) { try Timestamp.instant("next tuesday") }
        #expect(throws: CreditsError.self) {
            try ledger.grant(ada, amount: 1, source: "x", expiresAt: clock.now.addingTimeInterval(-1), actor: tester)
        }
        #expect(throws: CustomerError.self) { try ledger.grant(ada, amount: 1, source: " ", actor: tester) }
        #expect(try ledger.history(ada).entries.isEmpty)
    }

    @Test func givenAnInactiveCustomer_whenConsuming_thenRefused() throws {
        _ = try ledger.grant(ada, amount: 5, source: "manual", actor: tester)
        try store.sqlite.write { db in try db.execute(sql: "UPDATE customers SET active = 0") }
        #expect(throws: CreditsError.customerInactive("ada@example.com")) { try ledger.consume(ada) }
    }
}
