import GRDB

/// The query keys: lookup tables that queries walk instead of indexes on `records`, filled in
/// large sorted steps off the write path.
///
/// Indexes on `records` made every insert descend five B-trees and evaluate `json_extract` for
/// each, and every 100 ms commit rewrote one hot leaf page per distinct subject per index: half
/// the writer's time (Tests/Benchmarks/README.md). Now a commit writes only the record at its
/// (instance, seq) position, its Merkle nodes and checkpoints; ``AuditStore/buildKeys(of:upTo:)``
/// later copies the derived columns of many records at once into these tables, sorted, so each
/// touched page is written once per step. `records_indexed` holds, per instance, the first
/// sequence number without keys (the watermark); a query combines the keyed part with a scan of
/// the short unkeyed tail above it, so it sees every record exactly as the indexes did.
enum AuditStoreKeys {
    /// One key table: its name and the derived column it leads with (nil: the time table).
    struct Table {
        let name: String
        let column: String?

        /// The key columns, in primary-key order.
        var columns: [String] { (self.column.map { [$0] } ?? []) + ["time", "instance", "seq"] }
    }

    /// The time key table: every record has a row, in log order.
    static let timeTable = Table(name: "records_time", column: nil)
    /// The id key table: every record has a row, by its decision id.
    static let idTable = Table(name: "records_id", column: "id")

    /// The key tables whose value is a column of the record itself (none for time, the id), copied
    /// as it is.
    static let recordTables = [timeTable, idTable]

    /// Every key table since migration v4: ``recordTables`` and ``callerTable``, whose value is not
    /// the record's but its caller's id in `callers` (`AuditStoreCallers.swift`).
    static let tables = recordTables + [callerTable]

    /// The key tables of migrations v2 and v3: time, id, then one text table per caller field, in
    /// the order a query prefers them (most selective first). Migration v2 creates exactly these (a
    /// released migration never changes), and a v2 or v3 store opened read-only (not upgraded) is
    /// queried through them.
    static let textTables = [
        timeTable, idTable, Table(name: "records_subject", column: "subject"),
        Table(name: "records_spiffe", column: "spiffe_id"),
        Table(name: "records_xroad", column: "xroad_client"),
    ]

    /// The per-instance watermark: records at `next` and above have no keys yet.
    static let watermarkTable = """
        CREATE TABLE records_indexed (instance TEXT NOT NULL PRIMARY KEY, next INTEGER NOT NULL) WITHOUT ROWID
        """

    /// Migration v2: creates the key tables, fills them from the v1 indexes (a covering scan, no
    /// JSON parsing), sets every instance's watermark past its last record, then drops the indexes.
    static func migrate(_ db: Database) throws {
        for table in self.textTables {
            let columns = table.columns
            let definitions = columns.map { $0 == "seq" ? "seq INTEGER NOT NULL" : "\($0) TEXT NOT NULL" }
            try db.execute(
                sql: """
                    CREATE TABLE \(table.name)_keys (\(definitions.joined(separator: ", ")),
                        PRIMARY KEY (\(columns.joined(separator: ", ")))) WITHOUT ROWID
                    """
            )
            let list = columns.joined(separator: ", ")
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO \(table.name)_keys (\(list)) SELECT \(list) FROM records
                    WHERE \(columns[0]) IS NOT NULL ORDER BY \(list)
                    """
            )
        }
        try db.execute(sql: self.watermarkTable)
        try db.execute(sql: "INSERT INTO records_indexed SELECT instance, max(seq) + 1 FROM records GROUP BY instance")
        // The v1 indexes share the key tables' names; dropped, the tables take them (query plans name them).
        for table in self.textTables {
            try db.execute(sql: "DROP INDEX \(table.name)")
            try db.execute(sql: "ALTER TABLE \(table.name)_keys RENAME TO \(table.name)")
        }
    }

    /// The key table a query walks in a v2 or v3 store (``textTables``): an exact id, subject,
    /// SPIFFE ID or X-Road client (in that order), else one of them as a pattern with a literal
    /// prefix, else the time table.
    static func textTable(for query: AuditQuery) -> (table: Table, value: String?) {
        let values = Dictionary(
            query.textFilters.map { ($0.column, $0.value) }, uniquingKeysWith: { first, _ in first })
        let keyed = self.textTables.dropFirst()
        for table in keyed {
            if let column = table.column, let value = values[column], !value.contains("*") { return (table, value) }
        }
        for table in keyed {
            if let column = table.column, let value = values[column], !value.hasPrefix("*") { return (table, value) }
        }
        return (self.textTables[0], nil)
    }
}

extension AuditStore {
    /// Records keyed per step at most: one step is one transaction on the writer's connection.
    package static let keyStepRecords = 65_536

    /// The first sequence number of `instance` without query keys (its watermark).
    package func keyedSize(of instance: String) throws -> UInt64 {
        guard self.hasKeyTables else { return try self.treeSize(of: instance) }
        return try self.reading { db in
            UInt64(
                try Int64.fetchOne(
                    db, sql: "SELECT next FROM records_indexed WHERE instance = ?", arguments: [instance]) ?? 0)
        }
    }

    /// Copies the query keys of `instance`'s records from its watermark up to `end` (at most
    /// ``keyStepRecords`` of them) into the key tables, sorted, and moves the watermark, in one
    /// transaction. Returns the new watermark.
    ///
    /// The derived columns are read once per record into a temporary table, then inserted into
    /// each key table in that table's order, so each B-tree page is dirtied and written once per step.
    ///
    /// - Throws: ``AuditError`` (`store_failed`); nothing changed.
    @discardableResult
    package func buildKeys(of instance: String, upTo end: UInt64) throws -> UInt64 {
        do {
            return try self.pool.write { db in
                let next =
                    try Int64.fetchOne(
                        db, sql: "SELECT next FROM records_indexed WHERE instance = ?", arguments: [instance]) ?? 0
                let upTo = min(Int64(end), next + Int64(Self.keyStepRecords))
                guard upTo > next else { return UInt64(next) }
                try AuditStoreKeys.createPendingKeys(db)
                let derived = AuditStoreKeys.pendingColumns
                    .map { AuditStoreSchema.derived($0, of: nil) }.joined(separator: ", ")
                try db.execute(
                    sql: """
                        INSERT INTO temp.pending_keys SELECT \(derived)
                        FROM records WHERE instance = ? AND seq >= ? AND seq < ?
                        """,
                    arguments: [instance, next, upTo]
                )
                for table in AuditStoreKeys.recordTables {
                    let list = table.columns.joined(separator: ", ")
                    try db.execute(
                        sql: """
                            INSERT OR IGNORE INTO \(table.name) (\(list)) SELECT \(list) FROM temp.pending_keys
                            WHERE \(table.columns[0]) IS NOT NULL ORDER BY \(list)
                            """
                    )
                }
                try AuditStoreKeys.insertCallerKeys(db)
                try db.execute(sql: "DELETE FROM temp.pending_keys")
                try db.execute(
                    sql: "INSERT OR REPLACE INTO records_indexed (instance, next) VALUES (?, ?)",
                    arguments: [instance, upTo]
                )
                return UInt64(upTo)
            }
        } catch {
            throw AuditError.storeFailed(
                "Building the query keys of instance '\(instance)' failed; queries scan its unkeyed records instead.",
                path: self.path, cause: error
            )
        }
    }

    /// Deletes the query keys of `instance`'s records below `point` (before retention deletes the
    /// records): each key row found from its record's columns, by its primary key.
    static func deleteKeys(of instance: String, below point: UInt64, in db: Database) throws {
        try AuditStoreKeys.deleteCallerKeys(of: instance, below: point, in: db)
        for table in AuditStoreKeys.recordTables {
            let list = table.columns.joined(separator: ", ")
            let derived = table.columns.map { AuditStoreSchema.derived($0, of: nil) }
            try db.execute(
                sql: """
                    DELETE FROM \(table.name) WHERE (\(list)) IN (
                        SELECT \(derived.joined(separator: ", ")) FROM records
                        WHERE instance = ? AND seq < ? AND \(derived[0]) IS NOT NULL)
                    """,
                arguments: [instance, Int64(point)]
            )
        }
    }
}
