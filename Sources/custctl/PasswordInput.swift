import ArgumentParser
import CustomerKit
import Foundation

/// Reads a password without it ever touching argv: the first line of standard input, or a
/// no-echo prompt on the terminal.
enum PasswordInput {
    /// The password from `--password-stdin` or the terminal; `confirm` asks twice on the terminal.
    static func read(fromStandardInput: Bool, confirm: Bool, prompt: String = "Password: ") throws -> String {
        if fromStandardInput {
            guard let line = readLine(strippingNewline: true) else { throw PasswordInputError.emptyStandardInput }
            return line
        }
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard tty >= 0 else {
            throw ValidationError("no terminal to ask for the password; pipe it in with --password-stdin")
        }
        defer { close(tty) }
        let first = try ask(prompt, tty: tty)
        if confirm {
            guard try ask("Repeat password: ", tty: tty) == first else { throw PasswordInputError.mismatch }
        }
        return first
    }

    private static func ask(_ prompt: String, tty: Int32) throws -> String {
        _ = prompt.withCString { Glibc.write(tty, $0, strlen($0)) }
        var saved = termios()
        let isTerminal = tcgetattr(tty, &saved) == 0
        if isTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(tty, TCSAFLUSH, &silent)
        }
        defer {
            if isTerminal { tcsetattr(tty, TCSAFLUSH, &saved) }
            _ = Glibc.write(tty, "\n", 1)
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(tty, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Problems reading a password.
enum PasswordInputError: DomainError, Equatable {
    case emptyStandardInput
    case mismatch

    var kind: FailureKind { .invalidData }
    var code: String { self == .mismatch ? "password_mismatch" : "password_missing" }
    var description: String {
        switch self {
        case .emptyStandardInput: return "standard input is empty; write the password as its first line"
        case .mismatch: return "the two passwords differ; try again"
        }
    }
}
