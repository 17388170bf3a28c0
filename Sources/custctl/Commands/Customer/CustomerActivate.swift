import ArgumentParser
import CustomerKit

extension CustomerCommand {
    /// `custctl customer activate EMAIL`.
    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "activate",
            abstract: "Activate a deactivated customer (audited).",
            discussion: """
                Example:
                  custctl customer activate ada@example.com
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var customer: CustomerArgument
        @OptionGroup var actor: ActorOption

        func run() throws {
            try CustomerActivation.run(global: global, customer: customer, active: true, actor: actor)
        }
    }
}
