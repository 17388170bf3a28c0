/// One page of a list: the rows after `afterId` in the list's own order (ascending ids for most lists,
/// descending for the newest-first ones), at most `limit` of them.
public struct Page: Sendable, Equatable {
    /// Continue after the row with this id.
    public var afterId: Int64?
    /// At most this many rows; nil for all.
    public var limit: Int?

    /// Every row.
    public static let all = Page()

    public init(afterId: Int64? = nil, limit: Int? = nil) {
        self.afterId = afterId
        self.limit = limit
    }

    /// How many rows to fetch: one more than the limit, to learn whether more remain.
    var fetchLimit: Int? { limit.map { $0 + 1 } }

    /// Cuts rows fetched with `fetchLimit` to the page and names the id to continue after.
    func cut<Item>(_ rows: [Item], id: (Item) -> Int64) -> Paged<Item> {
        guard let limit, rows.count > limit else { return Paged(items: rows, nextAfterId: nil) }
        let items = Array(rows.prefix(limit))
        return Paged(items: items, nextAfterId: items.last.map(id))
    }
}

/// The rows of one page, and the `afterId` of the next one when more rows remain.
public struct Paged<Item>: RandomAccessCollection {
    public let items: [Item]
    public let nextAfterId: Int64?

    public var startIndex: Int { items.startIndex }
    public var endIndex: Int { items.endIndex }
    public subscript(position: Int) -> Item { items[position] }
}

extension Paged: Sendable where Item: Sendable {}
