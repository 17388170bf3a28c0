import Foundation
import GRDB
import Testing

@testable import CustomerKit

@Suite struct SeederTests {
    let clock = TestClock()

    private func makeSeeder() throws -> (Store, Seeder) {
        let store = try Store.inMemory(options: StoreOptions(clock: clock.wallClock))
        return (store, Seeder(store: store, hasher: try PasswordHasher(cost: 4), actor: tester))
    }

    @Test func givenTheShippedFixture_thenItIsTheBuiltInDefaultPlan() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/seed/default.json").path
        #expect(try SeedPlan.load(path: path) == SeedPlan.default)
    }

    @Test func givenTheDefaultPlan_whenSeeded_thenEveryRoleExistsAsThePlanSays() throws {
        let (store, seeder) = try makeSeeder()
        let report = try seeder.seed(plan: .default, adminPassword: strongPassword)
        #expect(report.created.count == 7 && report.skipped.isEmpty)
        #expect(report.generatedPasswords.map(\.email) == ["reader@example.com"])
        let ledger = CreditLedger(store: store)
        func customer(_ email: String) throws -> Customer { try store.customer(.email(try EmailAddress(email))) }
        #expect(try customer("admin@example.com").adminLevel == .full)
        #expect(try customer("reader@example.com").adminLevel == .readOnly)
        #expect(
            try Authenticator(store: store, hasher: try PasswordHasher(cost: 4)).login(
                email: "admin@example.com", password: strongPassword
            ).isStaff)
        #expect(try ledger.balance(.email(try EmailAddress("trial@example.com"))).balance == 5)
        #expect(try ledger.balance(.email(try EmailAddress("pro@example.com"))).balance == 60)
        #expect(try customer("pro@example.com").subscriptionPlan == .pro)
        #expect(try customer("payg@example.com").paymentMethodAddedAt != nil)
        #expect(try customer("enterprise@example.com").customerType == .enterprise)
        #expect(try !customer("inactive@example.com").active)
        #expect(try customer("trial@example.com").metadata.serialized.contains(#""source":"seed""#))
        #expect(report.keys.count == 6)
        #expect(try APIKeys(store: store).list(for: nil).count == 6)
        #expect(try ForgeAccounts(store: store).list(for: nil).count == 7)
        #expect(try APIKeys(store: store).list(for: .email(try EmailAddress("admin@example.com"))).isEmpty)
    }

    @Test func givenASeededDatabase_whenSeededAgain_thenNothingChanges() throws {
        let (store, seeder) = try makeSeeder()
        _ = try seeder.seed(plan: .default, count: 20, randomSeed: 3, adminPassword: strongPassword)
        let before = try snapshot(store)
        let auditBefore = try store.auditEntries().count
        let again = try seeder.seed(plan: .default, count: 20, randomSeed: 3, adminPassword: strongPassword)
        #expect(again.created.isEmpty && again.syntheticCreated == 0 && again.keys.isEmpty)
        #expect(try snapshot(store) == before)
        // The run itself is audited (SPEC 5.9), and that is all it adds.
        #expect(try store.auditEntries().count == auditBefore + 1)
        #expect(try store.auditEntries().first?.action == "seed.run")
    }

    @Test func givenOneRandomSeed_whenTwoFreshDatabasesAreSeeded_thenTheirCustomersAreIdentical() throws {
        let (first, a) = try makeSeeder()
        let (second, b) = try makeSeeder()
        _ = try a.seed(plan: nil, count: 50, randomSeed: 42)
        _ = try b.seed(plan: nil, count: 50, randomSeed: 42)
        let query = "SELECT email, name, company_name, customer_type FROM customers ORDER BY id"
        let rowsA = try first.sqlite.read { db in try Row.fetchAll(db, sql: query).map { $0.description } }
        let rowsB = try second.sqlite.read { db in try Row.fetchAll(db, sql: query).map { $0.description } }
        #expect(rowsA.count == 50 && rowsA == rowsB)
        let forges = "SELECT forge_type, namespace FROM forge_accounts ORDER BY id"
        #expect(
            try first.sqlite.read { db in try Row.fetchAll(db, sql: forges).map(\.description) }
                == second.sqlite.read { db in try Row.fetchAll(db, sql: forges).map(\.description) })
        let (third, c) = try makeSeeder()
        _ = try c.seed(plan: nil, count: 50, randomSeed: 43)
        #expect(try third.sqlite.read { db in try Row.fetchAll(db, sql: query).map { $0.description } } != rowsA)
    }

    @Test func givenSeededAndOtherCustomers_whenCleaned_thenOnlySeededRowsGo() throws {
        let (store, seeder) = try makeSeeder()
        let own = try Provisioner(store: store, billing: LocalBilling(), actor: tester).provision(
            ProvisionRequest(email: "mine@example.com", name: "Mine"))
        _ = try seeder.seed(plan: .default, count: 10, adminPassword: strongPassword)
        #expect(try seeder.clean() == 17)
        #expect(try store.customers(CustomerQuery()).map(\.id) == [own.customerId])
        for table in ["api_keys", "forge_accounts", "credit_transactions", "scheduled_emails", "credit_lots"] {
            let owners = try store.sqlite.read { db in
                try Int64.fetchAll(db, sql: "SELECT DISTINCT customer_id FROM " + table)
            }
            #expect(owners.allSatisfy { $0 == own.customerId }, "\(table)")
        }
        #expect(try seeder.reset() == 1)
        #expect(try store.customers(CustomerQuery()).isEmpty)
    }

    @Test func givenProduction_thenSeedCleanAndResetAreRefused() throws {
        let (store, seeder) = try makeSeeder()
        _ = try store.migrate(mark: .production, actor: tester)
        #expect(throws: StoreError.productionRefused(operation: "seed")) { try seeder.seed(plan: .default) }
        #expect(throws: StoreError.self) { try seeder.clean() }
        #expect(throws: StoreError.self) { try seeder.reset() }
        #expect(try store.customers(CustomerQuery()).isEmpty)
    }

    @Test func givenBadPlans_thenInvalidData() throws {
        #expect(throws: SeedError.self) { try SeedPlan.decode(Data(#"{"customers": [{"email": "a@x.io"}]}"#.utf8)) }
        #expect(throws: SeedError.self) {
            try SeedPlan.decode(Data(#"{"customers": [{"email": "a@x.io", "name": "A", "staff": "god"}]}"#.utf8))
        }
        #expect(throws: SeedError.self) { try SeedPlan.decode(Data("not json".utf8)) }
        let (_, seeder) = try makeSeeder()
        let plan = SeedPlan(customers: [SeedPlan.Customer(email: "s@x.io", name: "S", staff: .full)])
        #expect(throws: SeedError.staffWithoutPassword("s@x.io")) { try seeder.seed(plan: plan) }
    }

    private func snapshot(_ store: Store) throws -> [String] {
        try store.sqlite.read { db in
            var rows: [String] = []
            for table in [
                "customers", "api_keys", "forge_accounts", "credit_transactions", "scheduled_emails",
            ] {
                rows += try Row.fetchAll(db, sql: "SELECT * FROM " + table + " ORDER BY id").map {
                    table + $0.description
                }
            }
            return rows
        }
    }
}
