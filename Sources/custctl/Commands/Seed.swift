import ArgumentParser
import CustomerKit
import Foundation

/// `custctl seed`: a development database from a plan, plus synthetic customers.
struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Fill a development database: the default plan (or --file), plus --count synthetic customers.",
        discussion: """
            Idempotent: customers already there (by email) are left as they are. Refused on a database marked \
            production. The admin's password comes from $CUSTCTL_ADMIN_PASSWORD, else one is generated and printed \
            once; API keys go to --keys-out (mode 0600) or are printed once.

            Examples:
              custctl seed --keys-out keys.jsonl
              custctl seed --count 10000 --random-seed 7
              custctl seed --clean
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(
        help: ArgumentHelp(
            "A seed plan (JSON); default: the built-in plan (fixtures/seed/default.json).", valueName: "plan"))
    var file: String?
    @Option(help: "Also create this many synthetic customers.") var count = 0
    @Option(help: "Seed for the synthetic customers (same seed, same customers).") var randomSeed: UInt64 = 1
    @Flag(help: "Give synthetic customers a password (one generated password, bcrypt at the configured cost).")
    var withPasswords = false
    @Option(
        help: ArgumentHelp(
            "Write created API keys here as JSON Lines (mode 0600) instead of printing them.", valueName: "path"))
    var keysOut: String?
    @Flag(help: "Wipe all customer data first.") var reset = false
    @Flag(help: "Remove exactly the customers seeding created, and stop.") var clean = false
    @Flag(help: "With --count: only the synthetic customers, not the plan.") var noPlan = false
    @OptionGroup var actor: ActorOption

    @Flag(help: "Confirm --reset or --clean without a prompt (required when standard input is not a terminal).")
    var yes = false

    func validate() throws {
        guard count >= 0, count <= 10_000_000 else { throw ValidationError("--count must be 0 to 10000000") }
        guard !(reset && clean) else { throw ValidationError("use --reset or --clean, not both") }
        if clean && (file != nil || count > 0) {
            throw ValidationError("--clean only removes; drop --file and --count")
        }
    }

    func run() throws {
        let output = global.output
        let store = try global.openStore()
        let seeder = Seeder(store: store, hasher: try Settings.hasher(), actor: try actor.resolved)
        if clean || reset {
            // A production refusal comes before any question (SPEC 9).
            try store.refuseProduction(clean ? "remove seeded data" : "wipe customer data")
            try Confirmation.require(
                clean ? "remove every customer seed created, with their data" : "wipe ALL customer data first",
                typing: "yes", yes: yes)
        }
        if clean {
            let removed = try seeder.clean()
            output.result(.object([("removed", .int(Int64(removed)))])) { "removed \(removed) seeded customer(s)" }
            return
        }
        let plan = noPlan ? nil : try file.map(SeedPlan.load) ?? SeedPlan.default
        // Created before seeding, so a path that cannot be used fails before anything changes.
        let keysFile = try keysOut.map { try SecretFile(creating: $0, database: global.databasePath()) }
        if reset {
            let removed = try seeder.reset()
            output.note("reset: removed \(removed) customer(s) and their data")
        }
        let adminPassword = Settings.environment["CUSTCTL_ADMIN_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        let report: SeedReport
        do {
            report = try seeder.seed(
                plan: plan, count: count, randomSeed: randomSeed, withPasswords: withPasswords,
                adminPassword: adminPassword
            ) { done, total in
                output.progress(done, of: total, "synthetic customers")
            }
        } catch {
            keysFile?.discard()
            throw error
        }
        let planKeys = report.keys.filter { key in
            plan?.customers.contains { $0.email.lowercased() == key.email.lowercased() } ?? false
        }
        if let keysFile {
            try keysFile.write(report.keys)
        }
        let shownKeys = keysFile == nil ? planKeys : []
        render(report, shownKeys: shownKeys, output)
    }

    /// The run's report; generated passwords and the plan's keys are shown once, also with --quiet.
    private func render(_ report: SeedReport, shownKeys: [(email: String, name: String, key: String)], _ output: Output)
    {
        if output.quiet && !output.json {
            // Secrets shown once are printed even with --quiet: they cannot be shown again.
            for (email, password) in report.generatedPasswords {
                output.secret("password for \(email) (shown once): \(password)")
            }
            for (email, name, key) in shownKeys { output.secret("API key \(name) for \(email) (shown once): \(key)") }
            return
        }
        output.result(
            .object([
                ("run", .string(report.runId)),
                ("created", .array(report.created.map(JSONValue.string))),
                ("skipped", .array(report.skipped.map(JSONValue.string))),
                ("synthetic_created", .int(Int64(report.syntheticCreated))),
                (
                    "passwords",
                    .array(
                        report.generatedPasswords.map {
                            .object([("email", .string($0.email)), ("password", .string($0.password))])
                        })
                ),
                (
                    "api_keys",
                    .array(
                        shownKeys.map {
                            .object([
                                ("email", .string($0.email)), ("name", .string($0.name)), ("api_key", .string($0.key)),
                            ])
                        })
                ),
                ("keys_out", .optional(keysOut)),
            ])
        ) {
            var lines = [
                "seed run \(report.runId): created \(report.created.count), already there \(report.skipped.count), synthetic \(report.syntheticCreated)"
            ]
            for (email, password) in report.generatedPasswords {
                lines.append("password for \(email) (shown once): \(password)")
            }
            for (email, name, key) in shownKeys { lines.append("API key \(name) for \(email) (shown once): \(key)") }
            if let keysOut { lines.append("\(report.keys.count) API key(s) written to \(keysOut)") }
            if keysOut == nil && report.keys.count > shownKeys.count {
                lines.append(
                    "\(report.keys.count - shownKeys.count) synthetic customers' keys not shown; pass --keys-out to keep them"
                )
            }
            return lines.joined(separator: "\n")
        }
    }
}

extension SecretFile {
    /// Writes seeded API keys as JSON Lines.
    func write(_ keys: [(email: String, name: String, key: String)]) throws {
        let text = keys.map {
            JSONValue.object([("email", .string($0.email)), ("name", .string($0.name)), ("api_key", .string($0.key))])
                .serialized + "\n"
        }.joined()
        try write(Data(text.utf8))
    }
}
