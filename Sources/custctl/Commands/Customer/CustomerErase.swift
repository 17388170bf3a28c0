import ArgumentParser
import CustomerKit

extension CustomerCommand {
    /// `custctl customer erase EMAIL|ID [--dry-run] [--yes]`.
    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "erase",
            abstract: "Erase a customer's personal data on request (GDPR art. 17); the ledger stays.",
            discussion: """
                The email becomes erased-ID@erased.invalid and the name 'erased'; company, metadata, password and \
                staff role are cleared and the customer is deactivated; API keys are revoked, forge accounts \
                unlinked, pending emails dropped and login attempts deleted. The customer row and its ledger stay \
                (balance unchanged). The audit log keeps only the SHA-256 of the email: 'custctl customer erased \
                EMAIL' answers whether it was erased. On a terminal you type the customer's email to confirm; \
                otherwise pass --yes.

                Example:
                  custctl customer erase ada@example.com --dry-run
                """
        )

        @OptionGroup var global: GlobalOptions

        @OptionGroup var customer: CustomerArgument

        @Flag(help: "List what would go and change nothing.")
        var dryRun = false

        @Flag(help: "Confirm without a prompt (required when standard input is not a terminal).")
        var yes = false

        @OptionGroup var actor: ActorOption

        func run() throws {
            let reference = try customer.reference
            let erasure = CustomerErasure(store: try global.openStore())
            let actor = try actor.resolved
            if !dryRun {
                let plan = try erasure.erase(reference, dryRun: true, actor: actor).plan
                if plan.erasedEmail != plan.email {
                    try Confirmation.require(
                        "erase customer \(plan.customerId) <\(plan.email)>", typing: plan.email, yes: yes)
                }
            }
            let result = try erasure.erase(reference, dryRun: dryRun, actor: actor)
            let plan = result.plan
            global.output.result(
                .object([
                    ("customer_id", .int(plan.customerId)), ("email", .string(plan.erasedEmail)),
                    ("changed", .bool(result.changed)), ("dry_run", .bool(result.dryRun)),
                    ("api_keys_revoked", .int(Int64(plan.apiKeysRevoked))),
                    ("forge_accounts_unlinked", .array(plan.forgeAccounts.map(JSONValue.string))),
                    ("pending_emails_dropped", .int(Int64(plan.pendingEmails))),
                    ("login_attempts_deleted", .int(Int64(plan.loginAttempts))),
                    ("password_cleared", .bool(plan.hadPassword)), ("staff_cleared", .bool(plan.wasStaff)),
                ])
            ) {
                if !result.changed && !result.dryRun { return "customer \(plan.customerId) was erased already" }
                let verb = result.dryRun ? "would erase" : "erased"
                return """
                    \(verb) customer \(plan.customerId) <\(plan.email)> -> \(plan.erasedEmail)
                      api keys revoked: \(plan.apiKeysRevoked)
                      forge accounts unlinked: \(plan.forgeAccounts.isEmpty ? "none" : plan.forgeAccounts.joined(separator: ", "))
                      pending emails dropped: \(plan.pendingEmails)
                      login attempts deleted: \(plan.loginAttempts)
                      password cleared: \(plan.hadPassword ? "yes" : "no"), staff role cleared: \(plan.wasStaff ? "yes" : "no")
                      kept: the customer row, its ledger and balance, the audit log (email only as SHA-256)
                    """
            }
        }
    }
}
