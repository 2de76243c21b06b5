import GRDB
import GRDBSQLite
import Synchronization

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
        // Callers this step interned: known to the next steps only once it committed.
        var added: [AuditCaller: Int64] = [:]
        do {
            built = try self.pool.write { db -> UInt64? in
                let next = UInt64(
                    try Int64.fetchOne(
                        db, sql: "SELECT next FROM records_indexed WHERE instance = ?", arguments: [instance]) ?? 0)
                guard next == first.seq else { return nil }
                let upTo = min(end, next + UInt64(Self.keyStepRecords), first.seq + UInt64(rows.count))
                guard upTo > next else { return next }
                try self.insertKeys(of: instance, rows: rows.prefix(Int(upTo - next)), added: &added, into: db)
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
        if !added.isEmpty {
            self.callerIDs.withLock { known in
                if known.count + added.count > Self.callerIDsKept { known.removeAll() }
                known.merge(added) { _, new in new }
            }
        }
        return try built ?? self.buildKeys(of: instance, upTo: end)
    }

    /// Rows one key-table statement inserts at once: SQLite's per-statement work (opening the
    /// table, halting, resetting) is paid once for them (`sqlite3VdbeHalt` alone was 6 % of the
    /// writer's instructions with one row a statement).
    static let keyRowsPerStatement = 32

    /// Inserts `rows`' keys into every key table with SQLite's own calls (no argument arrays),
    /// interning their callers first (the ones new to ``callerIDs`` go to `added`).
    private func insertKeys(
        of instance: String, rows: ArraySlice<AuditKeyRow>, added: inout [AuditCaller: Int64], into db: Database
    ) throws {
        let rows = Array(rows)
        let callers = try AuditStoreKeys.callerIDs(
            of: rows, known: self.callerIDs.withLock { $0 }, added: &added, in: db)
        // Every row's time text once, side by side: each table binds a slice of it.
        var times: [UInt8] = []
        times.reserveCapacity(rows.count * AuditLeafTime.width)
        for row in rows { AuditLeafTime.write(row.time, into: &times) }
        // In sequence order, not sorted by value: the step is one transaction, so each page is
        // written once whatever the order, and sorting the texts cost more than it saved.
        var keys = KeyTexts()
        for table in AuditStoreKeys.recordTables {
            keys.collect(table.column, of: rows)
            try Self.insert(keys, into: table, of: rows, instance: instance, times: times, in: db)
        }
        keys.collect(callers)
        try Self.insert(keys, into: AuditStoreKeys.callerTable, of: rows, instance: instance, times: times, in: db)
    }

    /// Inserts the key rows `keys` collected into `table`, ``keyRowsPerStatement`` a statement.
    private static func insert(
        _ keys: KeyTexts, into table: AuditStoreKeys.Table, of rows: [AuditKeyRow], instance: String,
        times: [UInt8], in db: Database
    ) throws {
        let many = Self.insertSQL(table, rows: Self.keyRowsPerStatement)
        let one = Self.insertSQL(table, rows: 1)
        var start = 0
        while start < keys.rows.count {
            let count = keys.rows.count - start >= Self.keyRowsPerStatement ? Self.keyRowsPerStatement : 1
            let insert = try db.cachedStatement(sql: count == 1 ? one : many)
            try Self.insert(
                start..<start + count, of: rows, keys: keys, instance: instance, times: times, with: insert, in: db)
            start += count
        }
    }

    /// One key table's rows for a step: which records have a value in its column, and those values
    /// (texts: their UTF-8 side by side, so that every bound text lives until its statement has run
    /// and SQLite need not copy it, `SQLITE_STATIC`; a copy was a `malloc` and a `memcpy` per key).
    private struct KeyTexts {
        /// The records (indexes into the step's rows) with a key in the table, in sequence order.
        var rows: [Int] = []
        /// `rows[i]`'s value: `texts[spans[i]]` (empty for the time table, which has no value column).
        var spans: [Range<Int>] = []
        var texts: [CChar] = []
        /// `rows[i]`'s value in the caller table: `ids[i]`.
        var ids: [Int64] = []
        /// Whether the table has a value column (false: the time table).
        var hasValue = false

        /// Collects the caller ids of the step's records (nil: no caller, no row).
        mutating func collect(_ callers: [Int64?]) {
            self.rows.removeAll(keepingCapacity: true)
            self.ids.removeAll(keepingCapacity: true)
            self.hasValue = true
            for (index, caller) in callers.enumerated() {
                guard let caller else { continue }
                self.rows.append(index)
                self.ids.append(caller)
            }
        }

        /// Collects the values of `column` (nil: the time table, every record) of `records`.
        mutating func collect(_ column: String?, of records: [AuditKeyRow]) {
            self.ids.removeAll(keepingCapacity: true)
            self.rows.removeAll(keepingCapacity: true)
            self.spans.removeAll(keepingCapacity: true)
            self.texts.removeAll(keepingCapacity: true)
            self.hasValue = column != nil
            guard let column else {
                self.rows = Array(records.indices)
                return
            }
            for (index, record) in records.enumerated() {
                guard var value = record.value(of: column) else { continue }
                let start = self.texts.count
                value.withUTF8 { utf8 in utf8.withMemoryRebound(to: CChar.self) { self.texts.append(contentsOf: $0) } }
                self.rows.append(index)
                self.spans.append(start..<self.texts.count)
            }
        }
    }

    /// `INSERT OR IGNORE` of `rows` rows into `table`.
    private static func insertSQL(_ table: AuditStoreKeys.Table, rows: Int) -> String {
        let tuple = "(" + table.columns.map { _ in "?" }.joined(separator: ", ") + ")"
        return "INSERT OR IGNORE INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES "
            + Array(repeating: tuple, count: rows).joined(separator: ", ")
    }

    /// Binds the key rows at `chunk` of `keys` ([value,] time, instance, seq for each) into `insert`
    /// and steps it once.
    private static func insert(
        _ chunk: Range<Int>, of rows: [AuditKeyRow], keys: KeyTexts, instance: String, times: [UInt8],
        with insert: Statement, in db: Database
    ) throws {
        let statement = insert.sqliteStatement
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        let width: Int32 = keys.hasValue ? 4 : 3
        // SQLITE_STATIC (nil) throughout: the texts, times and instance outlive the step.
        try instance.withCString { instanceText in
            try keys.texts.withUnsafeBufferPointer { texts in
                try times.withUnsafeBufferPointer { times in
                    try times.withMemoryRebound(to: CChar.self) { times in
                        sqlite3_reset(statement)
                        var code = SQLITE_OK
                        for (position, key) in chunk.enumerated() where code == SQLITE_OK {
                            let index = keys.rows[key]
                            var parameter = Int32(position) * width + 1
                            if !keys.ids.isEmpty {
                                code = sqlite3_bind_int64(statement, parameter, keys.ids[key])
                                parameter += 1
                            } else if keys.hasValue {
                                let span = keys.spans[key]
                                // An empty value is text of length 0, not NULL (a nil pointer would bind NULL).
                                code =
                                    texts.baseAddress.map { base in
                                        sqlite3_bind_text(
                                            statement, parameter, base + span.lowerBound, Int32(span.count), nil)
                                    } ?? sqlite3_bind_text(statement, parameter, "", 0, Self.transient)
                                parameter += 1
                            }
                            if code == SQLITE_OK {
                                // `times` holds one time text per row, so its base address is not nil.
                                let time = times.baseAddress! + index * AuditLeafTime.width
                                code = sqlite3_bind_text(statement, parameter, time, Int32(AuditLeafTime.width), nil)
                            }
                            if code == SQLITE_OK {
                                code = sqlite3_bind_text(statement, parameter + 1, instanceText, -1, nil)
                            }
                            if code == SQLITE_OK {
                                code = sqlite3_bind_int64(statement, parameter + 2, Int64(rows[index].seq))
                            }
                        }
                        if code == SQLITE_OK { code = sqlite3_step(statement) }
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

    /// SQLITE_TRANSIENT: SQLite copies the text at once.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
