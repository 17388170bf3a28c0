import Foundation
import Testing

@testable import CustomerKit

@Suite struct BatchReaderTests {
    private func parse(_ text: String, _ format: BatchFormat) -> [(
        line: Int, record: Result<ProvisionRequest, BatchError>
    )] {
        BatchReader.parse(Data(text.utf8), format: format)
    }

    @Test func givenCSVWithQuotingAndBreaks_thenFieldsAndStartingLinesAreKept() throws {
        let csv =
            "email,name,company,forge\r\n"
            + "a@x.io,\"Smith, Ann\",\"The \"\"Best\"\" Co\",github:a;gitlab:a\r\n"
            + "b@x.io,\"Multi\nLine\",,\n"
            + "\n"
            + "c@x.io,C,Co,github:c\n"
        let records = parse(csv, .csv)
        #expect(records.map(\.line) == [2, 3, 6])
        let first = try records[0].record.get()
        #expect(
            first.name == "Smith, Ann" && first.company == "The \"Best\" Co"
                && first.forges == ["github:a", "gitlab:a"])
        #expect(try records[1].record.get().name == "Multi\nLine")
        #expect(try records[1].record.get().company == nil)
    }

    @Test func givenBadCSV_thenEachBadRowIsNamed() {
        let records = parse("email,name\na@x.io\nb@x.io,B,extra\n\"c@x.io,C\n", .csv)
        #expect(records.count == 3)
        guard case .failure(.malformed(2, _)) = records[0].record else { Issue.record("row 2"); return }
        guard case .failure(.malformed(3, _)) = records[1].record else { Issue.record("row 3"); return }
        guard case .failure(.malformed(4, _)) = records[2].record else { Issue.record("row 4"); return }
        guard case .failure(.malformed(1, _)) = parse("email,nickname\n", .csv).first?.record else {
            Issue.record("header"); return
        }
    }

    @Test func givenJSONLines_thenStringsListsNullsAndErrorsByLine() throws {
        let text = """
            {"email":"a@x.io","name":"A","forge":"github:a","idempotency_key":"k"}

            {"email":"b@x.io","name":"B","forge":["github:b","gitlab:b"],"company":null}
            {"email":"c@x.io"}
            {"email":"d@x.io","name":"D","plan":"pro"}
            [1,2]
            {"email":5,"name":"E"}
            not json
            """
        let records = parse(text, .jsonl)
        #expect(records.map(\.line) == [1, 3, 4, 5, 6, 7, 8])
        #expect(
            try records[0].record.get()
                == ProvisionRequest(email: "a@x.io", name: "A", forges: ["github:a"], idempotencyKey: "k"))
        #expect(try records[1].record.get().forges == ["github:b", "gitlab:b"])
        for index in 2..<7 {
            guard case .failure(.malformed(let line, _)) = records[index].record else {
                Issue.record("record \(index)"); continue
            }
            #expect(line == records[index].line)
        }
    }

    @Test func givenFileProblems_thenUnreadable() {
        #expect(throws: BatchError.unreadable("/nonexistent/x.csv", reason: "no such file")) {
            try BatchReader.read(path: "/nonexistent/x.csv", format: .csv)
        }
        #expect(throws: BatchError.self) { try BatchReader.read(path: "/tmp", format: .csv) }
        #expect(
            BatchFormat.guess(path: "a.JSONL") == .jsonl && BatchFormat.guess(path: "a.csv") == .csv
                && BatchFormat.guess(path: "a.txt") == nil)
    }
}
