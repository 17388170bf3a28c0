import ArgumentParser
import CustomerKit

extension CustomerCommand {
    /// `custctl customer deactivate|activate EMAIL`.
    struct Deactivate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deactivate",
            abstract: "Deactivate a customer: logins, API keys and credit use are refused (audited).",
            discussion: """
                Example:
                  custctl customer deactivate ada@example.com
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var customer: CustomerArgument
        @OptionGroup var actor: ActorOption

        func run() throws {
            try CustomerActivation.run(global: global, customer: customer, active: false, actor: actor)
        }
    }
}
