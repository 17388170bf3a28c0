/// One line of the audit log: who did what to whom, when.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var actor: String
    public var action: String
    public var customerId: Int64?
    public var subject: String?
    /// A JSON object with the change's particulars.
    public var details: String
    public var createdAt: String
}
