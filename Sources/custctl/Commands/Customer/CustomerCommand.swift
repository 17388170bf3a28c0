import ArgumentParser
import CustomerKit

enum CustomerActivation {
    static func run(global: GlobalOptions, customer: CustomerArgument, active: Bool, actor: ActorOption) throws {
        let (updated, changed) = try CustomerAdmin(store: global.openStore()).setActive(
            try customer.reference, active, actor: actor.resolved)
        global.output.result(
            .object([
                ("customer_id", .int(updated.id)), ("email", .string(updated.email)),
                ("active", .bool(updated.active)), ("changed", .bool(changed)),
            ])
        ) {
            let state = updated.active ? "active" : "inactive"
            return changed ? "\(updated.email) is now \(state)" : "\(updated.email) is already \(state)"
        }
    }
}

/// `custctl customer ...`: read and administer customer records.
struct CustomerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer",
        abstract: "List, show, update, deactivate and activate customers.",
        subcommands: [
            CustomerCommand.List.self, CustomerCommand.Show.self, CustomerCommand.Update.self,
            CustomerCommand.Deactivate.self, CustomerCommand.Activate.self,
            CustomerCommand.Erase.self, CustomerCommand.Erased.self,
        ]
    )
}

extension Customer {
    /// The JSON form: every column but the password hash (`has_password` instead).
    var json: JSONValue {
        .object([
            ("id", .int(id)),
            ("name", .string(name)),
            ("email", .string(email)),
            ("email_normalized", .string(emailNormalized)),
            ("has_password", .bool(hasPassword)),
            ("is_staff", .bool(isStaff)),
            ("admin_level", .optional(adminLevel?.rawValue)),
            ("customer_type", .string(customerType.rawValue)),
            ("company_name", .optional(companyName)),
            ("active", .bool(active)),
            ("metadata", metadata),
            ("monthly_limit", .int(monthlyLimit)),
            ("current_usage", .int(currentUsage)),
            ("trial_fixes_used", .int(trialFixesUsed)),
            ("trial_fixes_limit", .int(trialFixesLimit)),
            ("trial_expired_at", .optional(trialExpiredAt)),
            ("payment_method_added_at", .optional(paymentMethodAddedAt)),
            ("stripe_customer_id", .optional(stripeCustomerId)),
            ("subscription_plan", .string(subscriptionPlan.rawValue)),
            ("subscription_status", .string(subscriptionStatus.rawValue)),
            ("subscription_period_end", .optional(subscriptionPeriodEnd)),
            ("rollover_fixes", .int(rolloverFixes)),
            ("confirmed_at", .optional(confirmedAt)),
            ("last_login_at", .optional(lastLoginAt)),
            ("created_at", .instant(createdAt)),
            ("updated_at", .instant(updatedAt)),
        ])
    }
}

extension CustomerOverview {
    var json: JSONValue {
        guard case .object(let members) = customer.json else { return customer.json }
        return .object(
            members + [
                ("balance", .int(balance)), ("plan", .string(plan.rawValue)),
                (
                    "api_keys",
                    .array(
                        keys.map {
                            .object([
                                ("id", .int($0.key.id)), ("prefix", .string($0.key.prefix)),
                                ("name", .string($0.key.name)), ("status", .string($0.status.rawValue)),
                                ("expires_at", .optional($0.key.expiresAt)),
                            ])
                        })
                ),
                (
                    "forge_accounts",
                    .array(
                        forgeAccounts.map {
                            .object([
                                ("id", .int($0.id)), ("forge_type", .string($0.forgeType.rawValue)),
                                ("namespace", .string($0.namespace)),
                            ])
                        })
                ),
            ])
    }

    /// The record as aligned `key  value` lines, then the keys and forge accounts as tables.
    var text: String {
        guard case .object(let members) = customer.json else { return "" }
        let fields = members + [("balance", .int(balance)), ("plan", .string(plan.rawValue))]
        var lines = [
            Output.table(
                nil,
                fields.map { key, value in
                    switch value {
                    case .string(let s): [key, s]
                    case .null: [key, "-"]
                    default: [key, value.serialized]
                    }
                })
        ]
        lines.append("")
        lines.append(
            keys.isEmpty
                ? "API keys: none"
                : "API keys:\n"
                    + Output.table(
                        ["ID", "PREFIX", "NAME", "STATUS", "EXPIRES"],
                        keys.map {
                            [
                                String($0.key.id), $0.key.prefix, $0.key.name, $0.status.rawValue,
                                $0.key.expiresAt.map(Timestamp.string(from:)) ?? "-",
                            ]
                        }))
        lines.append(
            forgeAccounts.isEmpty
                ? "Forge accounts: none"
                : "Forge accounts:\n"
                    + Output.table(
                        ["ID", "FORGE", "NAMESPACE"],
                        forgeAccounts.map { [String($0.id), $0.forgeType.rawValue, $0.namespace] }))
        return lines.joined(separator: "\n")
    }
}
