import Foundation

/// One customer's ledger inside a write transaction: the credit rules (`CreditLedger`, `Billing`) run
/// against it, so reading the balance, deciding and appending are one step that other processes
/// cannot interleave.
final class LedgerTransaction {
    let tx: any StorageTransaction
    /// The customer as read at the start of the transaction (refreshed by `updateBilling`).
    private(set) var customer: Customer
    /// The transaction's instant.
    let now: Date

    init(_ tx: any StorageTransaction, customer: Customer) {
        self.tx = tx
        self.customer = customer
        self.now = tx.now
    }

    /// The newest entry's balance_after (0 with no entry).
    func recordedBalance() throws -> Int64 {
        try tx.ledger.recordedBalance(customerId: customer.id)
    }

    /// Lots with credits left, soonest-expiring first, until `visit` returns false.
    func forEachOpenLot(_ visit: (CreditLot) throws -> Bool) throws {
        try tx.ledger.forEachOpenLot(customerId: customer.id, visit)
    }

    /// Lots whose instant has passed with credits left.
    func expiredLots() throws -> [CreditLot] {
        try tx.ledger.expiredLots(customerId: customer.id, at: now)
    }

    /// Appends an entry with balance_after = previous + amount; grants also open a lot.
    @discardableResult
    func append(_ new: NewLedgerEntry) throws -> LedgerEntry {
        // A tampered balance near Int64.max must not trap the process (SPEC 5.8).
        let (balanceAfter, overflow) = try recordedBalance().addingReportingOverflow(new.amount)
        if overflow { throw CreditsError.balanceOutOfRange(customer.email) }
        return try tx.ledger.append(customerId: customer.id, new, balanceAfter: balanceAfter, at: now)
    }

    /// Sets what is left of a lot.
    func setRemaining(_ remaining: Int64, ofLot grantId: Int64) throws {
        try tx.ledger.setRemaining(remaining, ofLot: grantId)
    }

    /// The entry carrying `key` for this customer, if any.
    func entry(idempotencyKey key: String) throws -> LedgerEntry? {
        try tx.ledger.entry(customerId: customer.id, idempotencyKey: key)
    }

    /// The first consumption or charge of this customer for deployed fix `fixId`, if any.
    func entry(fixId: String) throws -> LedgerEntry? {
        try tx.ledger.entry(customerId: customer.id, fixId: fixId)
    }

    /// Adds fixes to the customer's usage counter.
    func addUsage(_ fixes: Int64) throws {
        try tx.customers.addUsage(customer.id, fixes: fixes)
    }

    /// Writes the billing fields of `billing` and re-reads the customer.
    func updateBilling(_ billing: BillingState) throws {
        try tx.customers.updateBilling(customer.id, billing)
        customer = try tx.customers.fetch(.id(customer.id))
    }

    /// Records an audit entry about this customer.
    func audit(_ action: String, actor: Actor, details: [(String, JSONValue)]) throws {
        try tx.audit.append(
            NewAuditEntry(
                actor: actor, action: action, customerId: customer.id, subject: customer.emailNormalized,
                details: details), at: now)
    }
}

extension Store {
    /// Runs `body` on `reference`'s ledger in one write transaction.
    func withLedger<T>(_ reference: CustomerReference, _ body: (LedgerTransaction) throws -> T) throws -> T {
        try write { tx in try body(LedgerTransaction(tx, customer: tx.customers.fetch(reference))) }
    }
}

extension StorageTransaction {
    /// The balance without writing anything: the newest balance_after less what has expired since the
    /// last write (those `expire` entries are written when the customer is next changed).
    func balance(customerId: Int64) throws -> Int64 {
        try ledger.recordedBalance(customerId: customerId) - ledger.expiredRemaining(customerId: customerId, at: now)
    }
}
