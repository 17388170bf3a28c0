import Foundation
import GRDB
import Testing

@testable import CustomerKit

/// A billing provider that records calls and can fail.
final class FakeBilling: BillingProvider, @unchecked Sendable {
    let lock = NSLock()
    var calls: [BillingCustomerRequest] = []
    var failure: Error?

    var name: String { "fake" }

    func createCustomer(_ request: BillingCustomerRequest) throws -> String {
        try lock.withLock {
            calls.append(request)
            if let failure { throw failure }
            return "cus_fake_\(calls.count)"
        }
    }
}

@Suite struct ProvisioningTests {
    let clock = TestClock()
    let store: Store
    let billing = FakeBilling()
    let provisioner: Provisioner

    init() throws {
        store = try Store.inMemory(options: StoreOptions(clock: clock.wallClock))
        provisioner = Provisioner(store: store, billing: billing, actor: tester)
    }

    private func count(_ table: String) throws -> Int {
        try store.sqlite.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM " + table) ?? -1 }
    }

    private let tables = [
        "customers", "api_keys", "forge_accounts", "scheduled_emails", "credit_transactions", "credit_lots",
        "audit_log", "provision_requests",
    ]

    @Test func givenARequest_whenProvisioned_thenEveryPartExistsInOneGo() throws {
        let result = try provisioner.provision(
            ProvisionRequest(
                email: "Ada@Example.com", name: "Ada", company: "Engines", source: "gh_marketplace",
                forges: ["github:ada-labs", "GitHub:ada-labs", "gitlab:ada/group"], idempotencyKey: "p-1"))
        #expect(result.created && !result.replayed && result.creditBalance == 5)
        #expect(result.billingCustomerId == "cus_fake_1")
        let key = try #require(result.apiKey)
        #expect(APIKeyFormat.checksumIsValid(key))
        #expect(try APIKeys(store: store).verify(key).customerEmail == "Ada@Example.com")
        let customer = try store.customer(.id(result.customerId))
        #expect(customer.metadata.serialized == #"{"source":"gh_marketplace"}"#)
        #expect(customer.stripeCustomerId == "cus_fake_1")
        #expect(try count("forge_accounts") == 2)
        let dues = try store.sqlite.read { db in
            try String.fetchAll(db, sql: "SELECT due_at FROM scheduled_emails ORDER BY due_at")
        }
        #expect(dues.count == 4)
        #expect(dues.first == Timestamp.string(from: clock.now))
        #expect(dues.last == Timestamp.string(from: clock.now.addingTimeInterval(7 * 86400)))
        let grant = try #require(try CreditLedger(store: store).history(.id(result.customerId)).entries.first)
        #expect(grant.kind == .grant && grant.source == "trial_signup" && grant.amount == 5)
        #expect(billing.calls.first?.idempotencyKey.hasPrefix("custctl-") == true)
    }

    @Test(arguments: [
        "customers", "api_keys", "forge_accounts", "scheduled_emails", "credit_transactions", "credit_lots",
        "audit_log", "provision_requests",
    ])
    func givenAFailureAtAnyStep_whenProvisioning_thenNothingIsLeft(_ failing: String) throws {
        try store.sqlite.write { db in
            try db.execute(
                sql: "CREATE TRIGGER inject BEFORE INSERT ON " + failing + " BEGIN SELECT RAISE(ABORT, 'injected'); END"
            )
        }
        #expect(throws: StoreError.self) {
            try provisioner.provision(
                ProvisionRequest(email: "a@example.com", name: "A", forges: ["github:a"], idempotencyKey: "k"))
        }
        for table in tables { #expect(try count(table) == 0, "\(table) after a failure in \(failing)") }
    }

    @Test func givenTheBillingProviderFails_thenNothingIsWritten() throws {
        billing.failure = BillingProviderError.unavailable("down")
        #expect(throws: BillingProviderError.unavailable("down")) {
            try provisioner.provision(ProvisionRequest(email: "a@example.com", name: "A"))
        }
        for table in tables { #expect(try count(table) == 0) }
        billing.failure = nil
        let retried = try provisioner.provision(ProvisionRequest(email: "a@example.com", name: "A"))
        #expect(retried.created)
        #expect(billing.calls.count == 2 && billing.calls[0].idempotencyKey == billing.calls[1].idempotencyKey)
    }

    @Test func givenExistingAndIdempotentRequests_thenConflictsReplaysAndIfNotExists() throws {
        let first = try provisioner.provision(ProvisionRequest(email: "a@example.com", name: "A", idempotencyKey: "k1"))
        let replay = try provisioner.provision(
            ProvisionRequest(email: "A@example.com", name: "A", idempotencyKey: "k1"))
        #expect(
            replay.replayed && replay.apiKey == nil && replay.customerId == first.customerId
                && replay.apiKeyPrefix == first.apiKeyPrefix)
        #expect(throws: ProvisionError.idempotencyConflict("k1")) {
            try provisioner.provision(ProvisionRequest(email: "a@example.com", name: "Other", idempotencyKey: "k1"))
        }
        #expect(throws: CustomerError.emailTaken("a@example.com")) {
            try provisioner.provision(ProvisionRequest(email: "a@example.com", name: "A"))
        }
        let existing = try provisioner.provision(ProvisionRequest(email: "a@example.com", name: "A"), ifNotExists: true)
        #expect(!existing.created && existing.apiKey == nil && existing.customerId == first.customerId)
        #expect(try count("api_keys") == 1)
        #expect(billing.calls.count == 1)
    }

    @Test func givenAForgeNamespaceTakenInAnyCase_thenConflictAndNothingWritten() throws {
        _ = try provisioner.provision(ProvisionRequest(email: "a@example.com", name: "A", forges: ["github:Acme"]))
        #expect(throws: ForgeError.namespaceTaken("github:ACME")) {
            try provisioner.provision(ProvisionRequest(email: "b@example.com", name: "B", forges: ["github:ACME"]))
        }
        #expect(try count("customers") == 1)
    }

    @Test func givenABatch_whenAtomicAndOneRecordConflicts_thenNothingIsWrittenAndTheLineIsNamed() throws {
        _ = try provisioner.provision(ProvisionRequest(email: "taken@example.com", name: "T"))
        let records = [
            (line: 1, request: ProvisionRequest(email: "n1@example.com", name: "N1")),
            (line: 2, request: ProvisionRequest(email: "taken@example.com", name: "T")),
        ]
        #expect(
            throws: ProvisionError.record(
                line: 2, code: "email_taken", kind: .conflict,
                message: CustomerError.emailTaken("taken@example.com").description)
        ) {
            try provisioner.provisionAtomically(records)
        }
        #expect(try count("customers") == 1)
        let fine = try provisioner.provisionAtomically([
            (line: 1, request: ProvisionRequest(email: "n1@example.com", name: "N1"))
        ])
        #expect(fine.count == 1 && fine[0].created)
    }

    @Test func givenAnAtomicBatchRepeatingAnEmail_whenIfNotExists_thenTheRepeatReturnsTheFirst() throws {
        let results = try provisioner.provisionAtomically(
            [
                (line: 1, request: ProvisionRequest(email: "ada@example.com", name: "Ada")),
                (line: 2, request: ProvisionRequest(email: "ADA@example.com", name: "Ada again")),
            ], ifNotExists: true)
        #expect(results.map(\.created) == [true, false])
        #expect(results[1].customerId == results[0].customerId && results[1].customerId > 0)
        #expect(results[1].creditBalance == results[0].creditBalance && results[1].apiKey == nil)
        #expect(try count("customers") == 1)
    }

    @Test func givenAnAtomicBatchRepeatingAnIdempotencyKey_thenTheRepeatReplaysTheFirst() throws {
        let request = ProvisionRequest(email: "ada@example.com", name: "Ada", idempotencyKey: "k1")
        let results = try provisioner.provisionAtomically(
            [(line: 1, request: request), (line: 2, request: request)], ifNotExists: true)
        #expect(results.map(\.replayed) == [false, true])
        #expect(results[1].customerId == results[0].customerId && results[1].customerId > 0)
        #expect(try count("provision_requests") == 1)
    }

    @Test func givenAnAtomicBatchOfMoreThanOneChunk_thenIdsFollowTheRecordsAndEveryRowIsThere() throws {
        let records = (1...(Provisioner.batchSize + 5)).map {
            (line: $0, request: ProvisionRequest(email: "c\($0)@example.com", name: "C", forges: ["github:org-\($0)"]))
        }
        let results = try provisioner.provisionAtomically(records)
        #expect(results.map(\.customerId) == (1...Int64(records.count)).map { $0 })
        #expect(try count("customers") == records.count)
        #expect(try count("forge_accounts") == records.count)
        #expect(try count("credit_lots") == records.count)
        #expect(try count("scheduled_emails") == 4 * records.count)
    }

    @Test func givenAnAtomicBatchRepeatingANamespaceInAnotherCase_thenConflictOnTheSecondLine() throws {
        let records = [
            (line: 1, request: ProvisionRequest(email: "a@example.com", name: "A", forges: ["github:Acme"])),
            (line: 2, request: ProvisionRequest(email: "b@example.com", name: "B", forges: ["github:acme"])),
        ]
        #expect(throws: ProvisionError.self) { try provisioner.provisionAtomically(records) }
        do {
            _ = try provisioner.provisionAtomically(records)
        } catch let ProvisionError.record(line, code, _, _) {
            #expect(line == 2 && code == "namespace_taken")
        }
        #expect(try count("customers") == 0)
    }

    @Test func givenAPIKeys_thenChecksumExpiryRotationAndRevocationRule() throws {
        let keys = APIKeys(store: store)
        let result = try provisioner.provision(ProvisionRequest(email: "a@example.com", name: "A"))
        let key = try #require(result.apiKey)
        var mistyped = Array(key)
        mistyped[10] = mistyped[10] == "A" ? "B" : "A"
        #expect(throws: APIKeyError.invalidKey) { try keys.verify(String(mistyped)) }
        #expect(throws: APIKeyError.invalidKey) { try keys.verify("cck_short") }
        let expiring = try keys.create(
            for: .id(result.customerId), name: "ci", expiresAt: clock.now.addingTimeInterval(60), actor: tester)
        #expect(
            try keys.verify(expiring.plaintext).key.lastUsedAt.map(Timestamp.string(from:))
                == Timestamp.string(from: clock.now))
        clock.advance(60)
        #expect(throws: APIKeyError.invalidKey) { try keys.verify(expiring.plaintext) }
        let (old, new) = try keys.rotate(.text(try #require(result.apiKeyPrefix)), overlap: 3600, actor: tester)
        #expect(
            old.expiresAt.map(Timestamp.string(from:)) == Timestamp.string(from: clock.now.addingTimeInterval(3600)))
        #expect(try keys.verify(key).key.id == old.id)
        #expect(try keys.verify(new.plaintext).key.id == new.key.id)
        clock.advance(3600)
        #expect(throws: APIKeyError.invalidKey) { try keys.verify(key) }
        #expect(try keys.revoke(.id(new.key.id), actor: tester).changed)
        #expect(throws: APIKeyError.invalidKey) { try keys.verify(new.plaintext) }
        #expect(try !keys.revoke(.id(new.key.id), actor: tester).changed)
        #expect(throws: APIKeyError.notFound("with id 999")) { try keys.revoke(.id(999), actor: tester) }
    }

    /// SPEC 5.5: a reference that matches several keys is refused with the candidates, never picked.
    @Test func givenAPrefixSharedByTwoKeys_whenReferenced_thenAmbiguousWithTheCandidates() throws {
        let keys = APIKeys(store: store)
        let a = try provisioner.provision(ProvisionRequest(email: "a@example.com", name: "A"))
        let b = try provisioner.provision(ProvisionRequest(email: "b@example.com", name: "B"))
        do {
            _ = try keys.revoke(.text("cck_"), actor: tester)
            Issue.record("an ambiguous prefix was accepted")
        } catch let APIKeyError.ambiguous(text, candidates) {
            #expect(text == "cck_")
            #expect(candidates.map(\.customerEmail) == ["a@example.com", "b@example.com"])
        }
        #expect(try keys.list(for: nil).allSatisfy { $0.status == .active })
        // The whole key, the listed prefix or the id each name exactly one key.
        #expect(try keys.resolve(.text(try #require(a.apiKey))).customerId == a.customerId)
        #expect(try keys.resolve(.text(try #require(b.apiKeyPrefix))).customerId == b.customerId)
        #expect(throws: APIKeyError.notFound("matching 'zzz'")) { try keys.resolve(.text("zzz")) }
    }

    /// SPEC 5.5: rotation keeps the expiry and never revives an expired or revoked key.
    @Test func givenAnExpiringKey_whenRotated_thenTheNewKeyKeepsTheExpiryAndExpiredKeysAreRefused() throws {
        let keys = APIKeys(store: store)
        let result = try provisioner.provision(ProvisionRequest(email: "a@example.com", name: "A"))
        let expiry = clock.now.addingTimeInterval(600)
        let issued = try keys.create(for: .id(result.customerId), name: "ci", expiresAt: expiry, actor: tester)
        let (_, new) = try keys.rotate(.id(issued.key.id), overlap: 0, actor: tester)
        #expect(new.key.expiresAt.map(Timestamp.string(from:)) == Timestamp.string(from: expiry))
        let later = clock.now.addingTimeInterval(7200)
        let (_, extended) = try keys.rotate(.id(new.key.id), overlap: 0, expiresAt: later, actor: tester)
        #expect(extended.key.expiresAt.map(Timestamp.string(from:)) == Timestamp.string(from: later))
        clock.advance(7200)
        #expect(try keys.list(for: nil).first { $0.key.id == extended.key.id }?.status == .expired)
        #expect(throws: APIKeyError.notRotatable(id: extended.key.id, status: .expired)) {
            try keys.rotate(.id(extended.key.id), overlap: 0, actor: tester)
        }
        #expect(try keys.list(for: nil).first { $0.key.id == issued.key.id }?.status == .expired)
    }

    @Test func givenTheKeyFormat_thenPrefixLengthAndChecksumHold() throws {
        var seeded = SeededGenerator(seed: 42)
        let key = APIKeyFormat.generate(using: &seeded)
        #expect(key.count == 42 && key.hasPrefix("cck_"))
        #expect(APIKeyFormat.checksumIsValid(key))
        #expect(APIKeyFormat.prefix(of: key).count == 10)  // a quarter of 42 at most (SPEC 5.5)
        #expect(APIKeyFormat.prefix(of: "0123456789") == "01")  // a 10-character legacy key keeps 2
        #expect(APIKeyFormat.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(APIKeyFormat.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(!APIKeyFormat.checksumIsValid(String(key.dropLast()) + (key.last == "0" ? "1" : "0")))
        #expect(try TimeSpan.seconds("24h") == 86400)
        #expect(try TimeSpan.seconds("90") == 90)
        #expect(try TimeSpan.seconds("7d") == 604_800)
        #expect(throws: APIKeyError.self) { try TimeSpan.seconds("soon") }
    }
}
