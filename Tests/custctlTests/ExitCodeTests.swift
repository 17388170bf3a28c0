import Foundation
import Testing

/// docs/exit-codes.md against the codes the binary can emit: every error code the sources define is
/// in the table under one exit code and nothing else is, and real failures exit as the table says.
@Suite struct ExitCodeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Error code -> exit code, from the table in docs/exit-codes.md.
    static func documented() throws -> [String: Int32] {
        let text = try String(contentsOf: root.appendingPathComponent("docs/exit-codes.md"), encoding: .utf8)
        var table: [String: Int32] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count > 3, let exit = Int32(cells[1]) else { continue }
            // "(with `field`)" names JSON fields of the error, not codes.
            let codes = cells[3].split(separator: "(").enumerated().map { index, part in
                index == 0
                    ? String(part) : String(part.split(separator: ")", omittingEmptySubsequences: false).last ?? "")
            }.joined()
            for code in Self.backticked(codes) where !code.contains(" ") && code.first?.isLetter == true {
                #expect(table[code] == nil, "\(code) is listed twice")
                table[code] = exit
            }
        }
        return table
    }

    /// The exit codes docs/exit-codes.md lists.
    static func documentedExits() throws -> Set<Int32> {
        let text = try String(contentsOf: root.appendingPathComponent("docs/exit-codes.md"), encoding: .utf8)
        return Set(
            text.split(separator: "\n").filter { $0.hasPrefix("| ") }.compactMap {
                Int32($0.split(separator: "|").first?.trimmingCharacters(in: .whitespaces) ?? "")
            })
    }

    static func backticked(_ text: String) -> [String] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
            .map { String($0.element) }
    }

    /// Every string literal inside a `var code: String { ... }` of the sources, plus the two the
    /// executable writes itself for errors that are not the core's.
    static func defined() throws -> Set<String> {
        var codes: Set<String> = ["usage", "internal"]
        let sources = root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            var rest = Substring(text)
            while let start = rest.range(of: "var code: String {") {
                var depth = 1
                var index = start.upperBound
                while depth > 0, index < rest.endIndex {
                    if rest[index] == "{" { depth += 1 }
                    if rest[index] == "}" { depth -= 1 }
                    index = rest.index(after: index)
                }
                let body = String(rest[start.upperBound..<index])
                for literal in Self.quoted(body) where literal.allSatisfy({ $0.isLowercase || $0 == "_" }) {
                    codes.insert(literal)
                }
                rest = rest[index...]
            }
        }
        return codes
    }

    static func quoted(_ text: String) -> [String] {
        text.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
            .map { String($0.element) }
    }

    @Test func givenTheSources_thenEveryErrorCodeIsDocumentedOnceAndNothingElse() throws {
        let documented = try Self.documented()
        let defined = try Self.defined()
        #expect(defined.count > 40)
        #expect(defined.subtracting(documented.keys).sorted() == [], "defined but not in docs/exit-codes.md")
        #expect(Set(documented.keys).subtracting(defined).sorted() == [], "documented but never emitted")
    }

    @Test func givenTheExitTable_thenTheDocsListExactlyItsCodes() throws {
        let text = try String(
            contentsOf: Self.root.appendingPathComponent("Sources/custctl/ExitStatus.swift"), encoding: .utf8)
        let mapped = Set(
            text.split(separator: "\n").compactMap { line -> Int32? in
                guard let range = line.range(of: "return ") else { return nil }
                return Int32(line[range.upperBound...].trimmingCharacters(in: .whitespaces))
            })
        #expect(mapped.isSuperset(of: [1, 64, 65, 66, 67, 69, 73, 74, 75, 77, 78]))
        #expect(try Self.documentedExits() == mapped.union([0]))
    }

    /// Real failures, one or more per exit code: each exits with the code the table gives its error.
    @Test(arguments: Backend.allCases) func givenRealFailures_thenEachExitsAsTheTableSays(_ backend: Backend) throws {
        let documented = try Self.documented()
        let cli = try CLI(backend)
        defer { cli.cleanUp() }
        // A missing SQLite file named with --database (on both backends: the flag overrides CUSTCTL_DATABASE).
        let missing = cli.directory.appendingPathComponent("missing.db").path
        #expect(try cli.run(["provision", "--email", "ada@example.com", "--name", "Ada", "--quiet"]).status == 0)
        let cases: [(arguments: [String], environment: [String: String], stdin: String?)] = [
            (["customer", "list", "--busy-timeout", "2147484"], [:], nil),
            (["customer", "list"], ["CUSTCTL_BCRYPT_COST": "abc"], nil),
            (["credits", "grant", "ada@example.com", "0", "--source", "manual"], [:], nil),
            (
                ["register", "--email", "not-an-email", "--name", "X", "--password-stdin"], [:],
                "Sturdy-Passphrase-2031"
            ),
            (["provision", "--file", cli.directory.appendingPathComponent("none.jsonl").path], [:], nil),
            (["customer", "list", "--database", missing], [:], nil),
            (["credits", "balance", "nobody@example.com"], [:], nil),
            (["credits", "consume", "ada@example.com", "--amount", "6"], [:], nil),
            (["provision", "--email", "ada@example.com", "--name", "Ada"], [:], nil),
            (["login", "--email", "nobody@example.com", "--password-stdin"], [:], "Sturdy-Passphrase-2031"),
            (["migrate", "rollback", "--to", "no_such_migration"], [:], nil),
            (["seed", "--reset"], [:], nil),
        ]
        for (arguments, environment, stdin) in cases {
            let result = try cli.run(arguments + ["--json"], stdin: stdin, environment: environment)
            let code = try result.jsonError()["error"] as? String ?? "?"
            #expect(documented[code] == result.status, "\(arguments.joined(separator: " ")): \(code) \(result.status)")
        }
    }
}
