import Foundation

/// The onboarding outbox: what is due, and marking it sent.
public struct Outbox: Sendable {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// Unsent emails due now (active customers only), oldest first.
    public func due(page: Page = .all) throws -> Paged<DueEmail> {
        try store.read { tx in try tx.outbox.due(at: tx.now, page: page) }
    }

    /// Marks emails sent in one transaction, in the order given (an id named twice counts once);
    /// marking one again changes nothing; an unknown id marks none.
    public func markSent(_ ids: [Int64]) throws -> [(email: ScheduledEmail, changed: Bool)] {
        var seen = Set<Int64>()
        let unique = ids.filter { seen.insert($0).inserted }
        return try store.write { tx in
            try unique.map { id in
                guard let email = try tx.outbox.find(id) else { throw OutboxError.notFound(id) }
                if email.sentAt != nil { return (email, false) }
                try tx.outbox.markSent(id, at: tx.now)
                return (try tx.outbox.find(id) ?? email, true)
            }
        }
    }
}
