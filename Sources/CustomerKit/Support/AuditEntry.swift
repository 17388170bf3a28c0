/// One line of the audit log: who did what to whom, when.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    /// The label of who acted (`--actor`, else the OS user).
    public var actor: String
    /// The operating-system user that ran custctl; nil for entries written before it was recorded.
    public var osUser: String?
    public var action: String
    public var customerId: Int64?
    public var subject: String?
    /// A JSON object with the change's particulars.
    public var details: String
    public var createdAt: String
}
