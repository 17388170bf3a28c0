import Foundation

/// HTTP(S) POST through the system's curl, given its whole configuration on standard input: no
/// secret reaches argv, and custctl does not load libcurl (with its thirty-odd shared libraries,
/// 8 ms at every start) for the one command that talks to a network.
enum HTTPClient {
    static let curl = "/usr/bin/curl"

    /// POSTs `body` and returns the answer's body and status.
    static func post(_ url: URL, headers: [(String, String)], body: String, timeout: TimeInterval) throws -> (Data, Int)
    {
        guard FileManager.default.isExecutableFile(atPath: curl) else {
            throw BillingProviderError.unavailable("curl is not installed (apt-get install curl)")
        }
        var config = [
            "url = \(quote(url.absoluteString))", "request = \"POST\"", "silent", "show-error",
            "max-time = \(Int(timeout.rounded(.up)))", "connect-timeout = \(Int(timeout.rounded(.up)))",
            "proto = \"=http,https\"", "data-binary = \(quote(body))", "write-out = \"\\n%{http_code}\"",
        ]
        config += headers.map { "header = \(quote("\($0): \($1)"))" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: curl)
        process.arguments = ["--config", "-"]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data((config.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let diagnostics = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason =
                process.terminationStatus == 28
                ? "timed out after \(Int(timeout)) s"
                : diagnostics.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(
                    of: "curl: ", with: "")
            throw BillingProviderError.unavailable(reason.isEmpty ? "curl exit \(process.terminationStatus)" : reason)
        }
        guard let split = answer.lastIndex(of: UInt8(ascii: "\n")),
            let status = Int(String(decoding: answer[answer.index(after: split)...], as: UTF8.self))
        else {
            throw BillingProviderError.unavailable("no HTTP status in the answer")
        }
        return (answer[..<split], status)
    }

    /// A curl config string: double quotes with backslash escapes.
    static func quote(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(character)
            }
        }
        return out + "\""
    }
}
