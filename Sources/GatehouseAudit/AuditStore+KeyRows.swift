import GRDB
import GRDBSQLite

extension AuditStore {
    /// ``buildKeys(of:upTo:)`` from the keys the writer kept of the records it wrote
    /// (``AuditKeyRow``), instead of parsing every body again: the rows from the watermark on go
    /// straight into each key table (the caller tables sorted by their value, so each page is
    /// dirtied once per step), in one transaction with the watermark's move.
    ///
    /// - Parameter rows: the keys of consecutive records; used when the first is at the watermark
    ///   (otherwise, as after a restart, the records' bodies are read as by ``buildKeys(of:upTo:)``).
    /// - Returns: the new watermark.
    /// - Throws: ``AuditError`` (`store_failed`); nothing changed.
    @discardableResult
    package func buildKeys(of instance: String, rows: ArraySlice<AuditKeyRow>, upTo end: UInt64) throws -> UInt64 {
        guard self.hasKeyTables, let first = rows.first else { return try self.buildKeys(of: instance, upTo: end) }
        let built: UInt64?
        do {
            built = try self.pool.write { db -> UInt64? in
                let next = UInt64(
                    try Int64.fetchOne(
                        db, sql: "SELECT next FROM records_indexed WHERE instance = ?", arguments: [instance]) ?? 0)
                guard next == first.seq else { return nil }
                let upTo = min(end, next + UInt64(Self.keyStepRecords), first.seq + UInt64(rows.count))
                guard upTo > next else { return next }
                try Self.insertKeys(of: instance, rows: rows.prefix(Int(upTo - next)), into: db)
                try db.execute(
                    sql: "INSERT OR REPLACE INTO records_indexed (instance, next) VALUES (?, ?)",
                    arguments: [instance, Int64(upTo)]
                )
                return upTo
            }
        } catch {
            throw AuditError.storeFailed(
                "Building the query keys of instance '\(instance)' failed; queries scan its unkeyed records instead.",
                path: self.path, cause: error
            )
        }
        return try built ?? self.buildKeys(of: instance, upTo: end)
    }

    /// Inserts `rows`' keys into every key table with SQLite's own calls (no argument arrays; the
    /// texts bound in place).
    private static func insertKeys(of instance: String, rows: ArraySlice<AuditKeyRow>, into db: Database) throws {
        let rows = Array(rows)
        // Every row's time text once, side by side: each table binds a slice of it.
        var times: [UInt8] = []
        times.reserveCapacity(rows.count * AuditLeafTime.width)
        for row in rows { AuditLeafTime.write(row.time, into: &times) }
        for table in AuditStoreKeys.tables {
            let list = table.columns.joined(separator: ", ")
            let placeholders = table.columns.map { _ in "?" }.joined(separator: ", ")
            let insert = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO \(table.name) (\(list)) VALUES (\(placeholders))")
            let values = table.column.map { column in rows.map { $0.value(of: column) } }
            // In sequence order, not sorted by value: the step is one transaction, so each page
            // is written once whatever the order, and sorting the texts cost more than it saved.
            var order = Array(rows.indices)
            if let values { order.removeAll { values[$0] == nil } }
            try Self.insert(order, of: rows, values: values, instance: instance, times: times, with: insert, in: db)
        }
    }

    /// Steps `insert` ([value,] time, instance, seq) once per row in `order`.
    private static func insert(
        _ order: [Int], of rows: [AuditKeyRow], values: [String?]?, instance: String, times: [UInt8],
        with insert: Statement, in db: Database
    ) throws {
        let statement = insert.sqliteStatement
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        let first: Int32 = values == nil ? 1 : 2
        // SQLITE_TRANSIENT: SQLite copies the text (for an empty one, whose buffer may be nil).
        let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
        try instance.withCString { instanceText in
            try times.withUnsafeBufferPointer { times in
                try times.withMemoryRebound(to: CChar.self) { times in
                    for index in order {
                        sqlite3_reset(statement)
                        // SQLITE_STATIC (nil): every text bound stays valid until the step is done.
                        let time = times.baseAddress! + index * AuditLeafTime.width
                        var code = sqlite3_bind_text(statement, first, time, Int32(AuditLeafTime.width), nil)
                        if code == SQLITE_OK { code = sqlite3_bind_text(statement, first + 1, instanceText, -1, nil) }
                        if code == SQLITE_OK { code = sqlite3_bind_int64(statement, first + 2, Int64(rows[index].seq)) }
                        if code == SQLITE_OK {
                            if var value = values?[index] {
                                code = value.withUTF8 { utf8 in
                                    utf8.withMemoryRebound(to: CChar.self) { text in
                                        let bound =
                                            text.isEmpty
                                            ? sqlite3_bind_text(statement, 1, "", 0, transient)
                                            : sqlite3_bind_text(statement, 1, text.baseAddress, Int32(text.count), nil)
                                        return bound == SQLITE_OK ? sqlite3_step(statement) : bound
                                    }
                                }
                            } else {
                                code = sqlite3_step(statement)
                            }
                        }
                        guard code == SQLITE_DONE else {
                            throw DatabaseError(
                                resultCode: ResultCode(rawValue: code),
                                message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: insert.sql)
                        }
                    }
                }
            }
        }
    }
}
