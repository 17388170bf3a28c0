import ArgumentParser
import CustomerKit

/// `custctl customer ...`: read and administer customer records.
struct CustomerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer",
        abstract: "List, show, update, deactivate and activate customers.",
        subcommands: [
            CustomerList.self, CustomerShow.self, CustomerUpdate.self, CustomerDeactivate.self, CustomerActivate.self,
            CustomerErase.self, CustomerErased.self,
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
            ("metadata", .raw(metadata)),
            ("monthly_limit", .int(monthlyLimit)),
            ("current_usage", .int(currentUsage)),
            ("trial_fixes_used", .int(trialFixesUsed)),
            ("trial_fixes_limit", .int(trialFixesLimit)),
            ("trial_expired_at", .optional(trialExpiredAt)),
            ("payment_method_added_at", .optional(paymentMethodAddedAt)),
            ("stripe_customer_id", .optional(stripeCustomerId)),
            ("subscription_plan", .string(subscriptionPlan)),
            ("subscription_status", .string(subscriptionStatus)),
            ("subscription_period_end", .optional(subscriptionPeriodEnd)),
            ("rollover_fixes", .int(rolloverFixes)),
            ("confirmed_at", .optional(confirmedAt)),
            ("last_login_at", .optional(lastLoginAt)),
            ("created_at", .string(createdAt)),
            ("updated_at", .string(updatedAt)),
        ])
    }
}
