import ArgumentParser
import CustomerKit
import Foundation

/// The one table from failures to exit codes (sysexits, SPEC section 2).
enum ExitStatus {
    static func code(for kind: FailureKind) -> Int32 {
        switch kind {
        case .usage: return 64
        case .invalidData: return 65
        case .inputUnreadable: return 66
        case .notFound: return 67
        case .refused, .unavailable: return 69
        case .conflict: return 73
        case .databaseUnusable: return 74
        case .tryLater: return 75
        case .authenticationFailed: return 77
        case .configuration: return 78
        case .other: return 1
        }
    }

    /// Prints `error` as one line (a JSON object with `--json`) and returns the exit code.
    static func report(_ error: Error, json: Bool) -> Int32 {
        let code: Int32
        let word: String
        let message: String
        var details: [(String, JSONValue)] = []
        if let domain = error as? DomainError {
            code = Self.code(for: domain.kind)
            word = domain.code
            message = domain.description
            details = domain.details
        } else {
            let parserCode = Custctl.exitCode(for: error).rawValue
            if parserCode == 0 {
                // --help and friends: not an error.
                Output.write(Custctl.fullMessage(for: error) + "\n", to: .stdout)
                return 0
            }
            code = parserCode == ExitCode.validationFailure.rawValue ? 64 : 1
            word = code == 64 ? "usage" : "internal"
            message = Custctl.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        }
        if json {
            let object = JSONValue.object([("error", .string(word)), ("message", .string(message))] + details)
            Output.write(object.serialized + "\n", to: .stderr)
        } else {
            let hint = code == 64 ? " (see --help)" : ""
            let prefix = Output.colourOnStderr ? "\u{1B}[31merror:\u{1B}[0m " : "error: "
            Output.write(prefix + message + hint + "\n", to: .stderr)
        }
        return code
    }
}
