import Foundation

/// The kinds of ledger entry (SPEC section 1).
public enum LedgerKind: String, Sendable, Codable, CaseIterable {
    case grant, consume, charge, expire, adjust
}

/// One row of the append-only credit ledger.
public struct LedgerEntry: Sendable, Equatable {
    public var id: Int64
    public var customerId: Int64
    /// Signed credits.
    public var amount: Int64
    /// The customer's balance right after this entry.
    public var balanceAfter: Int64
    public var kind: LedgerKind
    public var source: String
    /// Money charged, for `charge` entries.
    public var chargeCents: Int64?
    /// When a grant's credits stop counting.
    public var expiresAt: Date?
    public var idempotencyKey: String?
    /// A JSON object: the request an idempotency key replays, lots drawn, notes, fix ids.
    public var metadata: JSONValue
    public var createdAt: Date

    /// The note of a grant, or the reason of an adjustment.
    public var note: String? { metadata["note"]?.stringValue ?? metadata["reason"]?.stringValue }

    /// The deployed fix a consumption or charge was for.
    public var fixId: String? { metadata["fix_id"]?.stringValue }
}

/// An entry about to be appended; the store computes `balance_after` from the previous entry.
struct NewLedgerEntry: Sendable {
    var amount: Int64
    var kind: LedgerKind
    var source: String
    var chargeCents: Int64? = nil
    var expiresAt: Date? = nil
    var idempotencyKey: String? = nil
    var metadata: [(String, JSONValue)] = []

    /// Grants and positive adjustments are credits to draw from, so they open a lot.
    var opensLot: Bool { kind == .grant || (kind == .adjust && amount > 0) }
}

/// What is left of one grant.
struct CreditLot: Sendable, Equatable {
    let grantId: Int64
    var remaining: Int64
    let expiresAt: Date?
}
