import ArgumentParser
import CustomerKit
import Foundation

/// `custctl provision`: one customer, or a batch from a file.
struct Provision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision",
        abstract: "Create a customer with billing id, API key, 5 trial credits, forge accounts and onboarding emails.",
        discussion: """
            Everything for one customer is one transaction. The API key is printed once. With --file, records \
            come from JSON Lines or CSV (fields: email, name, company, source, forge, idempotency_key), each in \
            its own transaction with a report per record, or all in one with --atomic.

            Examples:
              custctl provision --email ada@example.com --name "Ada" \\
                --forge github:ada-labs --json
              custctl provision --file customers.jsonl --atomic --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The customer's email address.") var email: String?
    @Option(help: "The customer's name.") var name: String?
    @Option(help: "The company name.") var company: String?
    @Option(help: "Where the customer came from (metadata.source; default direct).") var source: String?
    @Option(help: ArgumentHelp("A forge account TYPE:NAMESPACE (repeatable).", valueName: "type:namespace")) var forge:
        [String] = []
    @Option(help: "local (default) or stripe (STRIPE_API_KEY, CUSTCTL_STRIPE_API_BASE).") var billing: BillingChoice =
        .local
    @Option(help: "Apply this request once: a retry replays the first result.") var idempotencyKey: String?
    @Flag(help: "An existing email is not an error: exit 0 with created false.") var ifNotExists = false
    @Option(help: ArgumentHelp("Provision every record of a JSON Lines or CSV file.", valueName: "path")) var file:
        String?
    @Option(help: ArgumentHelp("jsonl or csv (default: from the file's extension).", valueName: "format"))
    var inputFormat: BatchFormat?
    @Flag(help: "With --file: all records in one transaction, all or nothing.") var atomic = false
    @OptionGroup var actor: ActorOption

    func validate() throws {
        if file != nil {
            guard email == nil, name == nil, company == nil, source == nil, forge.isEmpty, idempotencyKey == nil else {
                throw ValidationError(
                    "--file takes the records' fields from the file; drop --email, --name and the other record options")
            }
        } else {
            guard email != nil, name != nil else { throw ValidationError("give --email and --name, or --file") }
            guard !atomic, inputFormat == nil else {
                throw ValidationError("--atomic and --input-format go with --file")
            }
        }
    }

    func run() throws {
        let provisioner = Provisioner(
            store: try global.openStore(), billing: try Settings.billing(billing), actor: try actor.resolved)
        guard let file else {
            let result = try provisioner.provision(
                ProvisionRequest(
                    email: email ?? "", name: name ?? "", company: company, source: source, forges: forge,
                    idempotencyKey: idempotencyKey),
                ifNotExists: ifNotExists)
            show(result, line: nil)
            return
        }
        try runBatch(file, provisioner)
    }

    /// Prints one result. With `--quiet` only a new API key is printed (it cannot be shown again), so
    /// `KEY=$(custctl provision ... --quiet)` works.
    private func show(_ result: ProvisionResult, line: Int?) {
        let output = global.output
        if output.quiet && !output.json {
            if result.created, let key = result.apiKey { output.secret(line.map { "line \($0): \(key)" } ?? key) }
            return
        }
        let prefix = line.map { "line \($0): " } ?? ""
        output.result(line.map(result.json(line:)) ?? result.json) { prefix + result.human }
    }

    private func runBatch(_ path: String, _ provisioner: Provisioner) throws {
        let output = global.output
        guard let format = inputFormat ?? BatchFormat.guess(path: path) else { throw BatchError.unknownFormat(path) }
        let records = try BatchReader.read(path: path, format: format)
        if atomic {
            var valid: [(line: Int, request: ProvisionRequest)] = []
            for (line, record) in records {
                switch record {
                case .success(let request): valid.append((line, request))
                case .failure(let error): throw error
                }
            }
            let results = try provisioner.provisionAtomically(valid, ifNotExists: ifNotExists) { done in
                output.progress(done, of: valid.count, "provisioned")
            }
            for (index, result) in results.enumerated() { show(result, line: valid[index].line) }
            output.note(
                "provisioned \(results.filter(\.created).count) of \(results.count) record(s) in one transaction")
            return
        }
        var firstFailure: Error?
        var succeeded = 0
        var done = 0
        for (line, record) in records {
            if case .failure(let error) = record {
                report(error, line: line, output)
                firstFailure = firstFailure ?? error
            } else if case .success(let request) = record {
                provisioner.provisionEach([(line, request)], ifNotExists: ifNotExists) { line, outcome in
                    switch outcome {
                    case .success(let result):
                        succeeded += 1
                        show(result, line: line)
                    case .failure(let error):
                        report(error, line: line, output)
                        firstFailure = firstFailure ?? error
                    }
                }
            }
            done += 1
            output.progress(done, of: records.count, "records")
        }
        output.note("\(succeeded) of \(records.count) record(s) provisioned")
        if let firstFailure { throw BatchFailed(first: firstFailure, failed: records.count - succeeded) }
    }

    private func report(_ error: Error, line: Int, _ output: Output) {
        let domain = error as? DomainError
        let object = JSONValue.object([
            ("line", .int(Int64(line))), ("error", .string(domain?.code ?? "internal")),
            ("message", .string(domain?.description ?? "\(error)")),
        ])
        if output.json {
            output.result(object) { "" }
        } else {
            Output.write("error: " + (domain?.description ?? "\(error)") + "\n", to: .stderr)
        }
    }
}

/// A per-record batch in which some records failed: exits with the first failure's code, after the
/// per-record report said everything.
struct BatchFailed: DomainError {
    let first: Error
    let failed: Int

    var kind: FailureKind { (first as? DomainError)?.kind ?? .other }
    var code: String { (first as? DomainError)?.code ?? "internal" }
    var description: String {
        "\(failed) record(s) failed; the first: \((first as? DomainError)?.description ?? "\(first)")"
    }
}

extension BatchFormat: ExpressibleByArgument {}

extension ProvisionResult {
    var json: JSONValue { json(line: nil) }

    func json(line: Int?) -> JSONValue {
        var members: [(String, JSONValue)] = line.map { [("line", .int(Int64($0)))] } ?? []
        members += [
            ("customer_id", .int(customerId)), ("email", .string(email)), ("api_key", .optional(apiKey)),
            ("api_key_prefix", .optional(apiKeyPrefix)), ("billing_customer_id", .optional(billingCustomerId)),
            ("credit_balance", .int(creditBalance)), ("created", .bool(created)), ("replayed", .bool(replayed)),
        ]
        return .object(members)
    }

    var human: String {
        if replayed {
            return "\(email): already provisioned (customer \(customerId)); the API key was shown when it was created"
        }
        guard created else { return "\(email): exists (customer \(customerId)); nothing created" }
        return
            "provisioned customer \(customerId) <\(email)>, billing \(billingCustomerId ?? "-"), \(creditBalance) credits\n"
            + "API key (shown once): \(apiKey ?? "-")"
    }
}
