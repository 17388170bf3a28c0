/// The read commands scripts call most often (`credits balance`, `customer show`), recognised
/// before ArgumentParser parses: building its parser reflects every property wrapper of the command
/// and its option groups, which was half of a balance read. Only the plain form is taken here (one
/// customer, the global options, each once); help, completions, `--`, a repeated option or anything
/// else unexpected goes the full way, so every message and every help text stays ArgumentParser's.
struct HotCommand {
    private let command: @Sendable (String, GlobalSettings) throws -> Void
    private let customer: String
    private let settings: GlobalSettings

    /// The commands, by the words that name them.
    private static let commands: [(path: [String], run: @Sendable (String, GlobalSettings) throws -> Void)] = [
        (["credits", "balance"], CreditsCommand.Balance.run),
        (["customer", "show"], CustomerCommand.Show.run),
    ]

    /// Recognises `arguments` (global options already hoisted behind the verb), or nil.
    init?(_ arguments: [String]) {
        guard let command = Self.commands.first(where: { arguments.starts(with: $0.path) }) else { return nil }
        var settings = GlobalSettings()
        var customer: String?
        var seen = Set<String>()
        var rest = arguments.dropFirst(command.path.count)[...]
        while let token = rest.popFirst() {
            var name = token
            var value: String?
            if token.hasPrefix("--"), let equals = token.firstIndex(of: "=") {
                name = String(token[..<equals])
                value = String(token[token.index(after: equals)...])
            }
            guard name.hasPrefix("-") else {
                guard customer == nil else { return nil }
                customer = token
                continue
            }
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "--json" where value == nil: settings.json = true
            case "--quiet" where value == nil: settings.quiet = true
            case "--verbose" where value == nil: settings.verbose = true
            case "--database":
                guard let text = value ?? rest.popFirst(), !text.hasPrefix("-") else { return nil }
                settings.database = text
            case "--schema":
                guard let text = value ?? rest.popFirst(), !text.hasPrefix("-") else { return nil }
                settings.schema = text
            case "--busy-timeout":
                guard let text = value ?? rest.popFirst(), let seconds = Double(text) else { return nil }
                settings.busyTimeout = seconds
            default: return nil
            }
        }
        guard let customer else { return nil }
        self.command = command.run
        self.customer = customer
        self.settings = settings
    }

    /// Runs the command as its `run()` would.
    func run() throws {
        try command(customer, settings)
    }
}
