import ArgumentParser
import CustomerKit
import Foundation

/// `custctl apikey ...`.
struct APIKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey",
        abstract: "Create, list, revoke, rotate and verify API keys.",
        subcommands: [
            APIKeyCommand.Create.self, APIKeyCommand.List.self, APIKeyCommand.Revoke.self, APIKeyCommand.Rotate.self,
            APIKeyCommand.Verify.self,
        ]
    )
}

extension ListedAPIKey {
    var json: JSONValue {
        guard case .object(let members) = key.json else { return key.json }
        return .object(members + [("customer_email", .string(customerEmail)), ("status", .string(status.rawValue))])
    }
}

extension APIKey {
    var json: JSONValue {
        .object([
            ("id", .int(id)), ("customer_id", .int(customerId)), ("name", .string(name)), ("prefix", .string(prefix)),
            ("active", .bool(active)), ("expires_at", .optional(expiresAt)), ("last_used_at", .optional(lastUsedAt)),
            ("revoked_at", .optional(revokedAt)), ("created_at", .instant(createdAt)),
        ])
    }
}
