import Foundation

/// An interactive SQL shell kept open on a database, to hold locks while the binary runs: `sqlite3` on
/// a file (`SQLiteShell(database:)`), `psql` on a PostgreSQL URI (`SQLShell(psql:)`).
final class SQLShell {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    init(executable: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    /// `psql` on `uri` (unaligned, tuples only).
    convenience init(psql uri: String) throws {
        try self.init(executable: "/usr/bin/psql", arguments: ["-X", "-q", "-A", "-t", uri])
    }

    /// Sends `sql` and waits until the shell has run it.
    func execute(_ sql: String) throws {
        let marker = "done-\(UUID().uuidString)"
        input.fileHandleForWriting.write(Data("\(sql)\nSELECT '\(marker)';\n".utf8))
        var seen = ""
        while !seen.contains(marker) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
    }

    func close() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// The `sqlite3` shell on a database file.
typealias SQLiteShell = SQLShell

extension SQLShell {
    convenience init(database: String) throws {
        try self.init(executable: "/usr/bin/sqlite3", arguments: [database])
    }
}
