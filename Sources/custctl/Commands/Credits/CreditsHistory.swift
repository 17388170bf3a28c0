import ArgumentParser
import CustomerKit

extension CreditsCommand {
    /// `custctl credits history EMAIL [--limit N] [--after-id ID]`.
    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "List ledger entries, newest first (JSON Lines with --json).",
            discussion: """
                Example:
                  custctl credits history ada@example.com --limit 10
                """
        )

        @OptionGroup var global: GlobalOptions

        @OptionGroup var customer: CustomerArgument

        @OptionGroup var paging: PageOptions

        func run() throws {
            let reference = try customer.reference
            let (_, entries) = try CreditLedger(store: global.openStore(.reads)).history(reference, page: paging.page)
            global.output.list(
                entries,
                header: ["ID", "WHEN", "KIND", "AMOUNT", "BALANCE", "SOURCE", "CHARGE", "EXPIRES", "FIX", "NOTE"],
                row: { e in
                    [
                        String(e.id), Timestamp.string(from: e.createdAt), e.kind.rawValue, String(e.amount),
                        String(e.balanceAfter), e.source, e.chargeCents.map(Money.format) ?? "-",
                        e.expiresAt.map(Timestamp.string(from:)) ?? "-", e.fixId ?? "-", e.note ?? "-",
                    ]
                },
                json: \.json, summary: "\(entries.count) entr\(entries.count == 1 ? "y" : "ies")")
        }
    }
}
