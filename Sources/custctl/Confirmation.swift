import ArgumentParser
import CustomerKit
import Foundation

/// Asks before a command destroys data (SPEC 9): on a terminal the operator types `word` (`yes`, or
/// the customer's email for an erasure); without a terminal `--yes` is required.
enum Confirmation {
    /// Returns when the operator confirmed; throws `declined`, or a usage error naming `--yes`.
    static func require(_ question: String, typing word: String, yes: Bool) throws {
        if yes { return }
        guard isatty(STDIN_FILENO) == 1 else {
            throw ValidationError("\(question): standard input is not a terminal, so pass --yes to confirm")
        }
        let prompt = "\(question)\nType \(word) to go ahead: "
        FileHandle.standardError.write(Data(prompt.utf8))
        guard let answer = readLine(strippingNewline: true),
            answer.trimmingCharacters(in: .whitespaces) == word
        else {
            throw ConfirmationError.declined
        }
    }
}

/// The operator did not confirm.
enum ConfirmationError: DomainError, Equatable {
    case declined

    var kind: FailureKind { .other }
    var code: String { "not_confirmed" }
    var description: String { "not confirmed; nothing was changed" }
}
