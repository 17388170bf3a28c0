import ArgumentParser

/// A mistyped command name, with the nearest real one (`custmer list`: did you mean `customer`?).
struct UnknownCommand: Error, CustomStringConvertible {
    let typed: String
    let suggestion: String?
    let path: String

    var description: String {
        "unknown command '\(path) \(typed)'" + (suggestion.map { "; did you mean '\(path) \($0)'?" } ?? "")
    }

    /// Walks the command tree along `arguments` and returns the first word that names no subcommand
    /// where one is expected, when a real one is near it (at most two edits).
    static func find(in arguments: [String], root: ParsableCommand.Type) -> UnknownCommand? {
        var node = root
        var path = root._commandName
        for token in arguments {
            let subcommands = node.configuration.subcommands
            guard !subcommands.isEmpty, !token.hasPrefix("-"), token != "help" else { return nil }
            if let next = subcommands.first(where: { $0._commandName == token }) {
                node = next
                path += " " + token
                continue
            }
            let names = subcommands.map { $0._commandName }
            let nearest = names.map { ($0, distance($0, token)) }.min { $0.1 < $1.1 }
            guard let nearest, nearest.1 <= 2 else { return nil }
            return UnknownCommand(typed: token, suggestion: nearest.0, path: path)
        }
        return nil
    }

    /// Levenshtein distance between two words.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
