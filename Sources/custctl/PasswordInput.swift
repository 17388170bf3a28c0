import ArgumentParser
import CProcess
import CustomerKit
import Foundation

/// Reads a password without it ever touching argv: the first line of standard input, or a
/// no-echo prompt on the terminal.
enum PasswordInput {
    /// How many times a terminal prompt asks before giving up.
    static let terminalTries = 3

    /// The password from `--password-stdin` or the terminal, accepted by `check` (the policy, for a
    /// new password). On a terminal a new password (`confirm`) is typed twice, and the prompt asks
    /// again, up to three times, after a mismatch or a refusal; from standard input there is one try.
    static func read(
        fromStandardInput: Bool, confirm: Bool, prompt: String = "Password: ",
        check: (String) throws -> Void = { _ in }
    ) throws -> String {
        if fromStandardInput {
            guard let line = firstLine(of: STDIN_FILENO) else { throw PasswordInputError.emptyStandardInput }
            let password = try decode(line)
            try check(password)
            return password
        }
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard tty >= 0 else {
            throw ValidationError("no terminal to ask for the password; pipe it in with --password-stdin")
        }
        defer { close(tty) }
        var attempt = 1
        while true {
            do {
                let first = try ask(prompt, tty: tty)
                if confirm {
                    guard try ask("Repeat password: ", tty: tty) == first else { throw PasswordInputError.mismatch }
                }
                try check(first)
                return first
            } catch let error as DomainError where error.kind == .invalidData && attempt < terminalTries {
                let line = "\(error.description); try again (\(terminalTries - attempt) left)\n"
                _ = line.withCString { Glibc.write(tty, $0, strlen($0)) }
                attempt += 1
            }
        }
    }

    /// A secret read from standard input, or from a no-echo prompt when standard input is a terminal
    /// (`password check`, `apikey verify`), so it never shows on the screen.
    static func readSecret(prompt: String) throws -> String? {
        if isatty(STDIN_FILENO) == 1 {
            let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
            if tty >= 0 {
                defer { close(tty) }
                return try ask(prompt, tty: tty)
            }
        }
        return try firstLine(of: STDIN_FILENO).map(decode)
    }

    /// The bytes of a password as a string, refusing what would alter it: a NUL (C cuts the string
    /// there) or invalid UTF-8 (decoding would substitute U+FFFD, so two byte strings would match).
    static func decode(_ bytes: [UInt8]) throws -> String {
        if bytes.contains(0) { throw PasswordInputError.containsNUL }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw PasswordInputError.invalidUTF8 }
        return text
    }

    /// The first line read from `fd`, without its newline (`\n` or `\r\n`); nil at end of input.
    private static func firstLine(of fd: Int32) -> [UInt8]? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        var sawAny = false
        while Glibc.read(fd, &byte, 1) == 1 {
            sawAny = true
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return sawAny ? bytes : nil
    }

    private static func ask(_ prompt: String, tty: Int32) throws -> String {
        _ = prompt.withCString { Glibc.write(tty, $0, strlen($0)) }
        var saved = termios()
        let isTerminal = tcgetattr(tty, &saved) == 0
        if isTerminal {
            // Ctrl-C, SIGTERM or a crash while echo is off gives echo back before the process ends.
            custctl_remember_terminal(tty)
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(tty, TCSAFLUSH, &silent)
        }
        defer {
            if isTerminal {
                tcsetattr(tty, TCSAFLUSH, &saved)
                custctl_forget_terminal()
            }
            _ = Glibc.write(tty, "\n", 1)
        }
        return try decode(firstLine(of: tty) ?? [])
    }
}

/// Problems reading a password.
enum PasswordInputError: DomainError, Equatable {
    case emptyStandardInput
    case mismatch
    case containsNUL
    case invalidUTF8

    var kind: FailureKind { .invalidData }
    var code: String {
        switch self {
        case .emptyStandardInput: return "password_missing"
        case .mismatch: return "password_mismatch"
        case .containsNUL, .invalidUTF8: return "invalid_password_bytes"
        }
    }
    var description: String {
        switch self {
        case .emptyStandardInput: return "standard input is empty; write the password as its first line"
        case .mismatch: return "the two passwords differ; try again"
        case .containsNUL: return "the password contains a NUL byte, which cannot be hashed; use another password"
        case .invalidUTF8: return "the password is not valid UTF-8; check the terminal's or file's encoding"
        }
    }
}
