import ArgumentParser
import CustomerKit

/// `--limit N --after-id ID`: one page of a list. With more rows left, the list names the next
/// `--after-id` on standard error.
struct PageOptions: ParsableArguments {
    @Option(help: "At most this many rows.")
    var limit: Int?

    @Option(help: ArgumentHelp("Continue after this id (the one the previous page named).", valueName: "id"))
    var afterId: Int64?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
        if let afterId, afterId < 0 { throw ValidationError("--after-id must be 0 or more") }
    }

    var page: Page { Page(afterId: afterId, limit: limit) }
}
