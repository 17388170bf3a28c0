import Foundation
import Testing

/// What a command did on a pseudo-terminal.
struct TerminalRun {
    /// Everything the terminal showed (prompts, echoed input, output).
    let transcript: String
    /// The exit status, or minus the signal that ended the command.
    let status: Int
    /// Whether the terminal echoed input after the command ended.
    let echo: Bool
    /// Set when a step's expected text never appeared.
    let failure: String?
}

/// One step of a terminal session.
enum TerminalStep {
    case expect(String)
    case send(String)
    case signal(String)
    case close

    var json: [String: Any] {
        switch self {
        case .expect(let text): return ["expect": text]
        case .send(let text): return ["send": text]
        case .signal(let name): return ["signal": name]
        case .close: return ["close": true]
        }
    }
}

extension CLI {
    /// Runs `custctl ARGS` on a pseudo-terminal (Fixtures/pty_session.py), playing `steps` as a person
    /// would type them.
    func terminal(_ arguments: [String], _ steps: [TerminalStep], environment: [String: String] = [:]) throws
        -> TerminalRun
    {
        let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/pty_session.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let plan = String(decoding: try JSONSerialization.data(withJSONObject: steps.map(\.json)), as: UTF8.self)
        process.arguments = [helper, plan, "--", CLI.binary] + arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["CUSTCTL_DATABASE"] = postgresURI
        env["NO_COLOR"] = "1"
        env["TERM"] = "xterm"
        env["CUSTCTL_BCRYPT_COST"] = "4"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return TerminalRun(
            transcript: object["transcript"] as? String ?? "", status: object["status"] as? Int ?? -999,
            echo: object["echo"] as? Bool ?? false, failure: object["failure"] as? String)
    }
}
