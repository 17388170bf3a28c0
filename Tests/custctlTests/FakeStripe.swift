import Foundation

/// The loopback fake Stripe (Fixtures/fake_stripe.py), started per test.
final class FakeStripe {
    private let process = Process()
    let baseURL: String
    let logPath: String

    init(mode: String, in directory: URL) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/fake_stripe.py"
        ).path
        let portFile = directory.appendingPathComponent("stripe-port-\(mode)").path
        logPath = directory.appendingPathComponent("stripe-\(mode).log").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, "--mode", mode, "--port-file", portFile, "--log", logPath, "--lifetime", "60",
        ]
        try process.run()
        var port: String?
        for _ in 0..<500 where port == nil {
            usleep(10_000)
            port = try? String(contentsOfFile: portFile, encoding: .utf8)
        }
        guard let port else { throw CLIError.binaryMissing("fake Stripe did not start") }
        baseURL = "http://127.0.0.1:\(port)"
    }

    /// The requests the fake received, in order.
    func requests() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// Environment for custctl to use this fake.
    var environment: [String: String] {
        ["STRIPE_API_KEY": "sk_test_fake", "CUSTCTL_STRIPE_API_BASE": baseURL, "CUSTCTL_STRIPE_TIMEOUT": "1"]
    }

    func stop() {
        // SIGKILL: the test runner may hand children a signal mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
