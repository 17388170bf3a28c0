import ArgumentParser
import CustomerKit

/// `custctl emails due|mark-sent`: the onboarding outbox a mailer reads.
struct EmailsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emails",
        abstract: "Read the onboarding outbox and mark emails sent (custctl sends no mail).",
        subcommands: [EmailsCommand.Due.self, EmailsCommand.MarkSent.self]
    )
}
