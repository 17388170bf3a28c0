import Foundation

/// An interactive `sqlite3` shell kept open on a database, to hold locks while the binary runs.
final class SQLiteShell {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    init(database: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [database]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
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
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
