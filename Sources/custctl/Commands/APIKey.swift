import ArgumentParser
import CustomerKit
import Foundation

/// `custctl apikey ...`.
struct APIKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey",
        abstract: "Create, list, revoke, rotate and verify API keys.",
        subcommands: [APIKeyCreate.self, APIKeyList.self, APIKeyRevoke.self, APIKeyRotate.self, APIKeyVerify.self]
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
            ("revoked_at", .optional(revokedAt)), ("created_at", .string(createdAt)),
        ])
    }
}

/// `custctl apikey create EMAIL [--name N] [--expires-at TIME]`.
struct APIKeyCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Issue a new API key; the key is printed once and never stored.",
        discussion: """
            Example:
              custctl apikey create ada@example.com --name ci --expires-at 2027-06-30 --json
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The customer's email or id.", valueName: "email")) var customer: String
    @Option(help: "A name for the key.") var name = "Default"
    @Option(help: ArgumentHelp("When the key stops working (ISO 8601).", valueName: "time")) var expiresAt: String?
    @OptionGroup var actor: ActorOption

    func run() throws {
        let issued = try APIKeys(store: global.openStore()).create(
            for: CustomerReference(parsing: customer), name: name, expiresAt: expiresAt.map(CreditLedger.instant),
            actor: actor.resolved)
        guard case .object(let members) = issued.key.json else { return }
        global.output.result(.object(members + [("api_key", .string(issued.plaintext))])) {
            "created key \(issued.key.id) (\(issued.key.prefix)...)\nAPI key (shown once): \(issued.plaintext)"
        }
    }
}

/// `custctl apikey list [EMAIL]`.
struct APIKeyList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List API keys by prefix (never their secrets); JSON Lines with --json.",
        discussion: """
            Example:
              custctl apikey list ada@example.com
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("Only this customer's keys (email or id).", valueName: "email")) var customer: String?
    @OptionGroup var paging: PageOptions

    func run() throws {
        let reference = try customer.map(CustomerReference.init(parsing:))
        let keys = try APIKeys(store: global.openStore(.reads)).list(for: reference, page: paging.page)
        global.output.list(
            keys, header: ["ID", "CUSTOMER", "PREFIX", "NAME", "STATUS", "EXPIRES", "LAST USED"],
            row: { (listed: ListedAPIKey) -> [String] in
                let k = listed.key
                return [
                    String(k.id), listed.customerEmail, k.prefix, k.name, listed.status.rawValue, k.expiresAt ?? "-",
                    k.lastUsedAt ?? "-",
                ]
            },
            json: { $0.json }, summary: "\(keys.count) key(s)")
    }
}

/// `custctl apikey revoke ID|PREFIX`.
struct APIKeyRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke an API key at once (by id, prefix or the key); revoking again changes nothing.",
        discussion: """
            A reference that matches more than one key is refused (65, ambiguous_key) with the candidates.

            Example:
              custctl apikey revoke cck_3fA9x0
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The key's id or prefix.", valueName: "key")) var key: String
    @OptionGroup var actor: ActorOption

    func run() throws {
        let (revoked, changed) = try APIKeys(store: global.openStore()).revoke(
            APIKeyReference(parsing: key), actor: actor.resolved)
        guard case .object(let members) = revoked.json else { return }
        global.output.result(.object(members + [("changed", .bool(changed))])) {
            changed ? "revoked key \(revoked.id) (\(revoked.prefix))" : "key \(revoked.id) was already revoked"
        }
    }
}

/// `custctl apikey rotate ID|PREFIX [--overlap DURATION]`.
struct APIKeyRotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Issue a replacement key; the old one keeps working for --overlap (default 0: it stops now).",
        discussion: """
            Example:
              custctl apikey rotate 12 --overlap 24h --json
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The key's id or prefix.", valueName: "key")) var key: String
    @Option(help: ArgumentHelp("How long the old key keeps working: seconds, or 30m, 24h, 7d.", valueName: "duration"))
    var overlap = "0"
    @Option(help: ArgumentHelp("When the new key stops working (default: the old key's expiry).", valueName: "time"))
    var expiresAt: String?
    @OptionGroup var actor: ActorOption

    func run() throws {
        let (old, new) = try APIKeys(store: global.openStore()).rotate(
            APIKeyReference(parsing: key), overlap: TimeSpan.seconds(overlap),
            expiresAt: expiresAt.map(CreditLedger.instant), actor: actor.resolved)
        guard case .object(let members) = new.key.json else { return }
        global.output.result(
            .object(
                members + [
                    ("api_key", .string(new.plaintext)), ("old_key_id", .int(old.id)),
                    ("old_key_expires_at", .optional(old.expiresAt)),
                ])
        ) {
            "created key \(new.key.id) to replace key \(old.id) (which stops at \(old.expiresAt ?? "-"))\nAPI key (shown once): \(new.plaintext)"
        }
    }
}

/// `custctl apikey verify` (key on standard input).
struct APIKeyVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an API key read from standard input: exit 0 when valid, 77 otherwise.",
        discussion: """
            Example:
              printf '%s\\n' "$KEY" | custctl apikey verify --json
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let presented = try PasswordInput.readSecret(prompt: "API key: ") ?? ""
        let verified = try APIKeys(store: global.openStore(.reads)).verify(presented)
        guard case .object(let members) = verified.key.json else { return }
        global.output.result(.object([("valid", .bool(true)), ("email", .string(verified.customerEmail))] + members)) {
            "valid: key \(verified.key.id) (\(verified.key.prefix)) of \(verified.customerEmail)"
        }
    }
}
