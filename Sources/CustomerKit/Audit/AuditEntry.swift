import Foundation

/// One line of the audit log: who did what to whom, when.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    /// The label of who acted (`--actor`, else the OS user).
    public var actor: String
    /// The operating-system user that ran custctl; nil for entries written before it was recorded.
    public var osUser: String?
    public var action: String
    public var customerId: Int64?
    public var subject: String?
    /// A JSON object with the change's particulars.
    public var details: JSONValue
    public var createdAt: Date
}

/// Which entries `audit list` returns, newest first.
public struct AuditQuery: Sendable, Equatable {
    /// Only entries about this customer.
    public var customerId: Int64?
    /// Only this action (`credits.grant`), or with no dot a whole group (`credits`: every `credits.` action).
    public var action: String?
    /// Only entries written at or after this instant.
    public var since: Date?
    /// Which page of them (`afterId` continues to older entries).
    public var page: Page

    public init(customerId: Int64? = nil, action: String? = nil, since: Date? = nil, page: Page = .all) {
        self.customerId = customerId
        self.action = action
        self.since = since
        self.page = page
    }
}

extension Store {
    /// Audit entries, newest first, filtered by `query`.
    public func auditEntries(_ query: AuditQuery = AuditQuery()) throws -> Paged<AuditEntry> {
        try read { try $0.audit.list(query) }
    }
}
