import Foundation
import GRDB
import GRDBSQLite

/// What one write transaction adds to one instance's log: consecutive leaves, the stored Merkle
/// nodes they completed, and possibly a checkpoint signed over the result.
package struct AuditBatch: Sendable {
    /// The writer instance.
    package var instance: String
    /// The sequence number of `bodies[0]` (the tree size before this batch).
    package var firstSeq: UInt64
    /// Canonical leaf bodies, in sequence order.
    package var bodies: [[UInt8]]
    /// Perfect-subtree roots completed by these leaves at height ``AuditStore/storedNodeHeight`` or above.
    package var nodes: [AuditStoredNode]
    /// A checkpoint over the tree including these leaves, if one is due.
    package var checkpoint: StoredCheckpoint?

    package init(
        instance: String, firstSeq: UInt64, bodies: [[UInt8]] = [], nodes: [AuditStoredNode] = [],
        checkpoint: StoredCheckpoint? = nil
    ) {
        self.instance = instance
        self.firstSeq = firstSeq
        self.bodies = bodies
        self.nodes = nodes
        self.checkpoint = checkpoint
    }
}

/// A perfect-subtree root: node (`level`, `index`) covers leaves `index << level ..< (index + 1) << level`.
package struct AuditStoredNode: Sendable, Equatable {
    /// The subtree's height (0 is a leaf).
    package var level: Int
    /// Its position among the subtrees of that height, from the left.
    package var index: UInt64
    /// Its RFC 9162 hash (32 bytes).
    package var hash: [UInt8]

    package init(level: Int, index: UInt64, hash: [UInt8]) {
        self.level = level
        self.index = index
        self.hash = hash
    }
}

extension AuditStore {
    /// Writes `batch` in one transaction: all of it or, on failure, none of it.
    ///
    /// - Throws: ``AuditError`` (`store_failed`) with SQLite's reason (`SQLITE_FULL`,
    ///   `SQLITE_READONLY`, `SQLITE_BUSY`, …); the store is unchanged.
    package func append(_ batch: AuditBatch) throws {
        do {
            try self.appendUnwrapped(batch)
        } catch {
            throw AuditError.storeFailed(
                "Writing \(batch.bodies.count) record(s) of instance '\(batch.instance)' from sequence number "
                    + "\(batch.firstSeq) failed; nothing of the batch was written.",
                path: self.path,
                cause: error
            )
        }
    }

    /// ``append(_:)`` throwing SQLite's own error, for the writer to name the cause in its gap record.
    package func appendUnwrapped(_ batch: AuditBatch) throws {
        try self.pool.write { db in
            if !batch.bodies.isEmpty {
                // A new instance's watermark row, so that queries scan its records until they are keyed.
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO records_indexed (instance, next) VALUES (?, 0)")
                    .execute(arguments: [batch.instance])
            }
            try Self.insertBodies(of: batch, into: db)
            if !batch.nodes.isEmpty {
                let node = try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO nodes (instance, level, idx, hash) VALUES (?, ?, ?, ?)"
                )
                for stored in batch.nodes {
                    node.setUncheckedArguments([
                        batch.instance, stored.level, Int64(stored.index), Data(stored.hash),
                    ])
                    try node.execute()
                }
            }
            if let checkpoint = batch.checkpoint {
                try Self.insert(checkpoint, into: db)
            }
        }
    }

    /// Rows one records statement inserts at once, as for the key tables
    /// (``keyRowsPerStatement``): SQLite's per-statement work is paid once for them.
    static let bodyRowsPerStatement = 32

    /// Inserts the batch's bodies with SQLite's own calls on GRDB's prepared statements, 32 rows a
    /// statement (the rest one by one): each body is bound from bytes in place (no `String`, no
    /// argument array, no copy by SQLite), which the writer's profile showed as a large part of
    /// its per-record allocations and copies.
    private static func insertBodies(of batch: AuditBatch, into db: Database) throws {
        guard !batch.bodies.isEmpty else { return }
        let many = try db.cachedStatement(sql: Self.bodiesSQL(rows: Self.bodyRowsPerStatement))
        let one = try db.cachedStatement(sql: Self.bodiesSQL(rows: 1))
        var scratch: [UInt8] = []
        try batch.instance.withCString { instance in
            var start = 0
            while start < batch.bodies.count {
                let count = batch.bodies.count - start >= Self.bodyRowsPerStatement ? Self.bodyRowsPerStatement : 1
                try Self.insert(
                    batch.bodies[start..<start + count], from: Int64(batch.firstSeq) + Int64(start),
                    instance: instance, scratch: &scratch, with: count == 1 ? one : many, in: db)
                start += count
            }
        }
    }

    /// `INSERT OR FAIL INTO records` of `rows` rows.
    ///
    /// `OR FAIL`, not the default `ABORT`: under `ABORT` SQLite must be able to undo one statement
    /// of many rows alone, so it copies every page the statement touches that the transaction had
    /// already changed into a statement journal, a temporary file (the writer's profile: 2.2 KB a
    /// record into `/var/tmp/etilqs_*`, as many bytes as the WAL and the database file together).
    /// A failed statement here always ends its whole transaction (``appendUnwrapped(_:)`` runs in
    /// `pool.write`, which rolls back on any error), so undoing the statement alone is never needed;
    /// a duplicate `(instance, seq)` still fails with `SQLITE_CONSTRAINT` and nothing is written.
    private static func bodiesSQL(rows: Int) -> String {
        "INSERT OR FAIL INTO records (instance, seq, body) VALUES "
            + Array(repeating: "(?, ?, ?)", count: rows).joined(separator: ", ")
    }

    /// Binds `bodies` (sequence numbers from `seq`) into `insert` and steps it once. The bodies are
    /// copied side by side into `scratch` first, so that every bound text stays valid until the step.
    private static func insert(
        _ bodies: ArraySlice<[UInt8]>, from seq: Int64, instance: UnsafePointer<CChar>, scratch: inout [UInt8],
        with insert: Statement, in db: Database
    ) throws {
        scratch.removeAll(keepingCapacity: true)
        for body in bodies { scratch.append(contentsOf: body) }
        let statement = insert.sqliteStatement
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        sqlite3_reset(statement)
        let code = scratch.withUnsafeBufferPointer { bytes -> Int32 in
            bytes.withMemoryRebound(to: CChar.self) { text -> Int32 in
                var code = SQLITE_OK
                var offset = 0
                for (position, body) in bodies.enumerated() where code == SQLITE_OK {
                    let parameter = Int32(position) * 3 + 1
                    // SQLITE_STATIC (nil): `scratch` and the instance text outlive the step below.
                    code = sqlite3_bind_text(statement, parameter, instance, -1, nil)
                    if code == SQLITE_OK { code = sqlite3_bind_int64(statement, parameter + 1, seq + Int64(position)) }
                    if code == SQLITE_OK {
                        // A body is never empty (a JSON object), so the base address is not nil.
                        code = sqlite3_bind_text(
                            statement, parameter + 2, text.baseAddress! + offset, Int32(body.count), nil)
                    }
                    offset += body.count
                }
                return code == SQLITE_OK ? sqlite3_step(statement) : code
            }
        }
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                sql: insert.sql)
        }
    }

    static func insert(_ checkpoint: StoredCheckpoint, into db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO checkpoints (instance, size, time, note) VALUES (?, ?, ?, ?)")
            .execute(arguments: [checkpoint.instance, Int64(checkpoint.size), checkpoint.time, checkpoint.note])
    }

    /// Caps the database file at `pages` pages (SQLite's `max_page_count`) on the writer's connection.
    ///
    /// A write that needs more fails with `SQLITE_FULL`, exactly as on a full disk: the tests
    /// simulate disk full with it, and an operator may use it to bound the file.
    package func limitPages(to pages: Int) throws {
        try self.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
    }

    /// The database's current size in pages (to set a limit just above it).
    package func pageCount() throws -> Int {
        try self.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
    }

    /// Makes the writer's connection refuse every write (SQLite's `query_only`), as a store on a
    /// read-only file or file system does (`SQLITE_READONLY`); `false` lifts it.
    package func refuseWrites(_ refuse: Bool) throws {
        try self.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = \(refuse ? 1 : 0)") }
    }
}
