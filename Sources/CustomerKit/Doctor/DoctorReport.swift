/// One thing `doctor` found wrong.
public struct Problem: Sendable, Equatable {
    /// The check that found it (`integrity`, `foreign_keys`, `ledger_chain`, ...).
    public let check: String
    /// What is wrong, with the ids involved.
    public let detail: String
}

/// What `doctor` checked and found.
public struct DoctorReport: Sendable, Equatable {
    public let checks: [String]
    public let problems: [Problem]
    public var healthy: Bool { problems.isEmpty }
}

/// What a backend's `diagnose` collects: each check it ran and what the check found.
struct DoctorChecks {
    private var checks: [String] = []
    private var problems: [Problem] = []

    /// Runs check `name`; every line `body` returns is a problem.
    mutating func run(_ name: String, _ body: () throws -> [String]) rethrows {
        checks.append(name)
        problems += try body().map { Problem(check: name, detail: $0) }
    }

    var report: DoctorReport { DoctorReport(checks: checks, problems: problems) }
}

extension Store {
    /// Checks the data, the schema and the invariants the backend cannot enforce by itself (`custctl
    /// doctor`, SPEC sections 3 and 5.13).
    public func diagnose() throws -> DoctorReport {
        try backend.diagnose()
    }
}
