/// The commands scripts call most often (`credits balance`, `customer show`, `login`), recognised
/// before ArgumentParser parses: building its parser reflects every property wrapper of the command
/// and its option groups, which was half of a balance read and half of a login's work besides bcrypt.
/// Only the plain form is taken here (the command's own arguments and the global options, each once);
/// help, completions, `--`, a repeated or missing option or anything else unexpected goes the full way,
/// so every message and every help text stays ArgumentParser's.
struct HotCommand {
    /// What the fast path read for a command besides the global options.
    struct Arguments {
        /// The one positional argument, for a command that takes it.
        var positional: String?
        /// Options with a value, by name (`--email`).
        var values: [String: String] = [:]
        /// Flags given (`--password-stdin`).
        var flags: [String] = []
    }

    /// One command the fast path knows: its words, its own options and flags, and its `run`.
    private struct Spec: Sendable {
        let path: [String]
        var positional = false
        var options: [String] = []
        var flags: [String] = []
        /// Nil when a required argument is missing (the full parser then says so).
        let run: @Sendable (Arguments, GlobalSettings) -> (() throws -> Void)?
    }

    private static let specs: [Spec] = [
        Spec(path: ["credits", "balance"], positional: true) { arguments, settings in
            arguments.positional.map { customer in { try CreditsCommand.Balance.run(customer, settings) } }
        },
        Spec(path: ["customer", "show"], positional: true) { arguments, settings in
            arguments.positional.map { customer in { try CustomerCommand.Show.run(customer, settings) } }
        },
        Spec(path: ["login"], options: ["--email"], flags: ["--password-stdin"]) { arguments, settings in
            arguments.values["--email"].map { email in
                { try Login.run(email: email, passwordStdin: arguments.flags.contains("--password-stdin"), settings) }
            }
        },
    ]

    private let command: () throws -> Void

    /// Recognises `arguments` (global options already hoisted behind the verb), or nil.
    init?(_ arguments: [String]) {
        guard let spec = Self.specs.first(where: { arguments.starts(with: $0.path) }) else { return nil }
        var settings = GlobalSettings()
        var own = Arguments()
        var seen: [String] = []
        var rest = arguments.dropFirst(spec.path.count)[...]
        while let token = rest.popFirst() {
            var name = token
            var value: String?
            if token.hasPrefix("--"), let equals = token.firstIndex(of: "=") {
                name = String(token[..<equals])
                value = String(token[token.index(after: equals)...])
            }
            guard name.hasPrefix("-") else {
                guard spec.positional, own.positional == nil else { return nil }
                own.positional = token
                continue
            }
            guard !seen.contains(name) else { return nil }
            seen.append(name)
            /// The option's value: after `=` or the next word (which may not look like an option).
            func text() -> String? {
                guard let text = value ?? rest.popFirst(), !text.hasPrefix("-") else { return nil }
                return text
            }
            switch name {
            case "--json" where value == nil: settings.json = true
            case "--quiet" where value == nil: settings.quiet = true
            case "--verbose" where value == nil: settings.verbose = true
            case "--database":
                guard let text = text() else { return nil }
                settings.database = text
            case "--schema":
                guard let text = text() else { return nil }
                settings.schema = text
            case "--busy-timeout":
                guard let text = text(), let seconds = Double(text) else { return nil }
                settings.busyTimeout = seconds
            case _ where spec.options.contains(name):
                guard let text = text() else { return nil }
                own.values[name] = text
            case _ where spec.flags.contains(name) && value == nil:
                own.flags.append(name)
            default: return nil
            }
        }
        guard let command = spec.run(own, settings) else { return nil }
        self.command = command
    }

    /// Runs the command as its `run()` would.
    func run() throws {
        try command()
    }
}
