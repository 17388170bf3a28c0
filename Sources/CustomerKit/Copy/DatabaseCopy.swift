import Foundation

extension Store {
    /// Copies this whole database (custctl's tables with their ids, the ledger, the audit log, the
    /// environment mark and any legacy archive) into `target`, which must be empty, in one transaction
    /// on the target; then compares row counts and ledger chains on both sides before committing.
    /// Audited on the target as `database.copy`. `progress` hears each table as it is done.
    public func copy(
        to target: Store, actor: Actor, batchSize: Int = 500, progress: (String) -> Void = { _ in }
    ) throws -> CopyReport {
        try withoutActuallyEscaping(progress) { progress in
            try DatabaseCopy(
                source: backend, target: target.backend, sourceName: path ?? ":memory:",
                targetName: target.path ?? ":memory:", actor: actor, batchSize: max(1, batchSize), progress: progress
            ).run()
        }
    }
}

/// One run of `custctl copy`, step by step, over the backends' copy steps (`CopySteps`).
private struct DatabaseCopy {
    let source: any StorageBackend
    let target: any StorageBackend
    let sourceName: String
    let targetName: String
    let actor: Actor
    let batchSize: Int
    let progress: (String) -> Void

    /// What is copied: custctl's tables, then the source's `legacy_*` tables.
    private struct Plan {
        let tables: [CopyTable]
        let legacy: [CopyTable]
        let skipped: [String]
    }

    func run() throws -> CopyReport {
        // The schema lock keeps other custctl processes from creating a schema in the target meanwhile.
        try target.withSchemaLock {
            let layout = try refuseUnlessEmpty()
            // SQLite changes its journal mode only outside a transaction; an empty file stays empty.
            if layout == .empty { try target.prepareForCopy() }
            // Every read of the source sees one state of it, so the counts compared are those copied.
            return try source.inOneSnapshot {
                let plan = try makePlan()
                let breaks = try source.countLedgerChainBreaks()
                if breaks > 0 { throw CopyError.sourceLedgerBroken(breaks: breaks) }
                let environment = try source.migrationStatus().markedEnvironment
                return try target.inOneTransaction {
                    // Checked again inside the transaction: the target may have changed since.
                    if try refuseUnlessEmpty() == .empty { try target.createSchemaForCopy() }
                    for table in plan.legacy { try target.createTableForCopy(table) }
                    for table in plan.tables { try copyRows(of: table) }
                    try target.advanceIdentities(plan.tables.filter(\.identity))
                    try target.setEnvironmentForCopy(environment)
                    let report = try compare(plan, environment: environment)
                    // A mismatch throws, so the transaction rolls back and the target stays as it was.
                    guard report.equal else { throw CopyError.mismatch(report) }
                    try audit(report)
                    return report
                }
            }
        }
    }

    /// The target's layout when it may receive the copy: no tables, or custctl's current schema
    /// without rows (a target made with `custctl migrate`). Anything else is refused.
    private func refuseUnlessEmpty() throws -> DatabaseLayout {
        let status = try target.migrationStatus()
        switch status.layout {
        case .empty:
            return .empty
        case .legacy, .foreign:
            throw CopyError.targetNotEmpty(target: targetName, tables: try target.copyTableNames())
        case .custctl:
            if !status.unknown.isEmpty { throw StoreError.newerSchema(status.unknown) }
            if !status.pending.isEmpty { throw StoreError.migrationsPending(status.pending) }
            let tables = try target.copyTableNames()
            let others = tables.filter { !CopyTables.owned.contains($0) }
            let holding = try tables.filter {
                try CopyTables.owned.contains($0) && !Migrations.bookkeepingTables.contains($0)
                    && target.countRows(of: $0) > 0
            }
            if !holding.isEmpty || !others.isEmpty {
                throw CopyError.targetNotEmpty(target: targetName, tables: holding + others)
            }
            return .custctl
        }
    }

    private func makePlan() throws -> Plan {
        let names = try source.copyTableNames()
        let legacy = try names.filter(CopyTables.isLegacy).map { try source.describeForCopy($0) }
        let skipped = names.filter { !CopyTables.owned.contains($0) && !CopyTables.isLegacy($0) }
        return Plan(tables: CopyTables.custctl + legacy, legacy: legacy, skipped: skipped)
    }

    /// Streams one table from the source into the target, a batch at a time, in key order (the
    /// target's ledger trigger checks each entry against the previous one by id).
    private func copyRows(of table: CopyTable) throws {
        var copied = 0
        try source.readRows(of: table, batchSize: batchSize) { rows in
            try target.insertRows(rows, into: table)
            copied += rows.count
        }
        progress("copied \(table.name): \(copied) row(s)")
    }

    private func compare(_ plan: Plan, environment: DatabaseEnvironment) throws -> CopyReport {
        let counts = try plan.tables.map {
            CopyReport.TableCount(
                table: $0.name, sourceRows: try source.countRows(of: $0.name),
                targetRows: try target.countRows(of: $0.name))
        }
        return CopyReport(
            source: sourceName, target: targetName, tables: counts,
            sourceChainBreaks: try source.countLedgerChainBreaks(),
            targetChainBreaks: try target.countLedgerChainBreaks(), environment: environment,
            skippedTables: plan.skipped)
    }

    /// The copy's own entry in the target's audit log, written after the counts were compared (so the
    /// target's audit log holds one entry more than the source's).
    private func audit(_ report: CopyReport) throws {
        try target.writeRecords(durable: true) { tx in
            try tx.audit.append(
                NewAuditEntry(
                    actor: actor, action: "database.copy",
                    details: [
                        ("source", .string(sourceName)), ("tables", .int(Int64(report.tables.count))),
                        ("rows", .int(Int64(report.rowsCopied))), ("environment", .string(report.environment.rawValue)),
                    ]),
                at: tx.now)
        }
    }
}
