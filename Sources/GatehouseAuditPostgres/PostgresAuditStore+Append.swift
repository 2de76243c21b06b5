package import GatehouseAudit
import GatehousePostgres
import Logging
import NIOCore
import PostgresNIO
import Synchronization

extension PostgresAuditStore {
    /// Writes `batch` in one transaction: the records as one multi-row insert (arrays unnested:
    /// one statement and one round trip for the whole batch, query columns read by the store), its
    /// nodes, its checkpoint; the batch's new callers just before it (``callerIDs(_:on:logger:)``).
    ///
    /// The writer's account is the truth. A failed append is counted lost by the writer, which
    /// then writes a gap record at the same sequence number; but a failure may hide a commit
    /// (the deadline passed after `COMMIT` was sent, or the connection died before its answer).
    /// So after a failure the next append of that instance first deletes what lies at or beyond
    /// its first sequence number (records, nodes, checkpoints: only that unacknowledged batch
    /// can be there, the instance's lock keeping other servers out), in the same transaction:
    /// the records it held stay counted by the gap record, nothing is duplicated, and the writer
    /// never sticks on sequence numbers it does not know are taken. A batch whose deadline
    /// passed before `COMMIT` rolls back instead of committing late.
    ///
    /// - Throws: PostgresNIO's ``PSQLError`` (a unique violation when another writer wrote these
    ///   sequence numbers, a closed connection while PostgreSQL is down, …), ``PostgresTimeout``,
    ///   or ``PostgresInstanceLockHeld`` when another server took the instance's lock after a
    ///   restart; the writer names each through ``failureCause(_:)``.
    package func appendUnwrapped(_ batch: AuditBatch) throws {
        let instance = batch.instance
        do {
            try self.relockIfLost(instance)
        } catch {
            self.unsure.withLock { _ = $0.insert(instance) }
            throw error
        }
        let holder = self.lockHolder(instance)
        let reconcile = self.unsure.withLock { $0.contains(instance) } && holder != nil
        let records = Self.recordRows(batch)
        do {
            try self.blocking { client, logger in
                try await client.withConnection { connection in
                    var insert = records.binds
                    if let callers = records.callers {
                        // Before the transaction: a caller's id, once read, is committed.
                        let ids = try await self.callerIDs(callers, on: connection, logger: logger)
                        insert.append(PostgresIntegerArray(elements: ids))
                    }
                    let statement = PostgresQuery(unsafeSQL: records.sql, binds: insert)
                    try await Self.transaction(on: connection, logger: logger) {
                        if let holder {
                            try await Self.checkLock(instance, heldBy: holder, on: connection, logger: logger)
                        }
                        if reconcile { try await Self.removeUnacknowledged(batch, on: connection, logger: logger) }
                        try await Self.insert(batch, records: statement, on: connection, logger: logger)
                    }
                }
            }
        } catch {
            self.unsure.withLock { _ = $0.insert(instance) }
            if error is PostgresInstanceLockLost { self.forgetLock(instance) }
            throw error
        }
        self.unsure.withLock { _ = $0.remove(instance) }
    }

    /// `BEGIN`, `body`, `COMMIT`; `ROLLBACK` when `body` throws or the task was cancelled (its
    /// deadline passed) before `COMMIT`.
    private static func transaction(
        on connection: PostgresConnection, logger: Logger, _ body: () async throws -> Void
    ) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await body()
            try Task.checkCancellation()
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Throws ``PostgresInstanceLockLost`` unless the session `holder` still holds an advisory
    /// lock: its connection may look open to the client after PostgreSQL ended it, and another
    /// server may have taken the lock since. One look-up in `pg_locks` (the server's lock table) a batch.
    private static func checkLock(
        _ instance: String, heldBy holder: Int32, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let rows = try await connection.query(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = \(holder)",
            logger: logger)
        var held: Int64 = 0
        for try await count in rows.decode(Int64.self) { held = count }
        guard held > 0 else { throw PostgresInstanceLockLost(instance: instance) }
    }

    /// Deletes what an unacknowledged append of `batch.instance` left at or beyond `batch.firstSeq`.
    private static func removeUnacknowledged(
        _ batch: AuditBatch, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let (instance, first) = (batch.instance, Int64(batch.firstSeq))
        try await connection.query(
            "DELETE FROM gatehouse_audit.records WHERE instance = \(instance) AND seq >= \(first)", logger: logger)
        // A node at (level, idx) covers leaves idx·2^level ..< (idx+1)·2^level.
        try await connection.query(
            """
            DELETE FROM gatehouse_audit.nodes
            WHERE instance = \(instance) AND (idx + 1) * (1::bigint << level) > \(first)
            """, logger: logger)
        try await connection.query(
            "DELETE FROM gatehouse_audit.checkpoints WHERE instance = \(instance) AND size > \(first)", logger: logger)
    }

    /// What inserts `batch`'s records: the bodies as they are (valid UTF-8 by construction, as the
    /// Merkle tree hashed them) with their query columns and time keys (``PostgresAuditColumns``)
    /// and each record's caller, whose ids complete the binds (``callerIDs(_:on:logger:)``); or, when a body
    /// is outside what the store's reader covers, the bodies alone for PostgreSQL to derive the
    /// columns and callers (`callers` nil).
    static func recordRows(_ batch: AuditBatch) -> (sql: String, binds: PostgresBindings, callers: [PostgresCaller]?) {
        let first = Int64(batch.firstSeq)
        var binds = PostgresBindings(capacity: 5 + PostgresAuditSchema.recordColumns.count)
        binds.append(batch.instance)
        binds.append((0..<Int64(batch.bodies.count)).map { first + $0 })
        var bodies = PostgresTextArray(reservingBytes: batch.bodies.reduce(0) { $0 + $1.count + 4 })
        var columns = PostgresAuditColumns(capacity: batch.bodies.count)
        var derived = true
        for body in batch.bodies {
            bodies.append(body)
            if derived { derived = columns.append(body) }
        }
        binds.append(bodies)
        guard derived else { return (PostgresAuditSchema.insertRecordsDeriving, binds, nil) }
        for column in columns.columns { binds.append(column) }
        binds.append(PostgresBigIntArray(elements: columns.timeKeys))
        return (PostgresAuditSchema.insertRecords, binds, columns.callers)
    }

    /// Each record's caller id (nil for a record without caller): from the store's memory of the
    /// callers it has seen, the others added to `callers` when new and read back in the same call
    /// (``PostgresAuditSchema/internCallers``): one round trip.
    func callerIDs(
        _ callers: [PostgresCaller], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int32?] {
        var ids = [Int32?](repeating: nil, count: callers.count)
        var pending: [Int] = []
        self.callerCache.withLock { cache in
            for (index, caller) in callers.enumerated() where !caller.isEmpty {
                if let id = cache[caller] { ids[index] = id } else { pending.append(index) }
            }
        }
        guard !pending.isEmpty else { return ids }
        var unknown: [PostgresCaller] = []
        var seen: Set<PostgresCaller> = []
        for index in pending where seen.insert(callers[index]).inserted { unknown.append(callers[index]) }
        var fields = PostgresAuditSchema.callerColumns.map { _ in PostgresTextArray(reservingBytes: unknown.count * 48)
        }
        for caller in unknown {
            for (index, field) in caller.fields.enumerated() {
                if let field {
                    field.withUnsafeBufferPointer { fields[index].append($0) }
                } else {
                    fields[index].appendNull()
                }
            }
        }
        var binds = PostgresBindings(capacity: fields.count)
        for field in fields { binds.append(field) }
        var found: [PostgresCaller: Int32] = [:]
        for try await (position, id) in try await connection.query(
            PostgresQuery(unsafeSQL: PostgresAuditSchema.internCallers, binds: binds), logger: logger
        ).decode((Int64, Int32).self) {
            found[unknown[Int(position) - 1]] = id
        }
        guard found.count == unknown.count else { throw PostgresCallerMissing(count: unknown.count - found.count) }
        self.callerCache.withLock { cache in
            // A bound on the memory: a store meeting very many callers starts over.
            if cache.count + found.count > Self.callerCacheLimit { cache.removeAll(keepingCapacity: true) }
            cache.merge(found) { old, _ in old }
        }
        for index in pending { ids[index] = found[callers[index]] }
        return ids
    }

    /// Callers the store remembers at most (``callerIDs(_:on:logger:)``).
    static var callerCacheLimit: Int { 200_000 }

    /// The batch's records, nodes and checkpoint.
    private static func insert(
        _ batch: AuditBatch, records: PostgresQuery, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let instance = batch.instance
        if !batch.bodies.isEmpty {
            try await connection.query(records, logger: logger)
        }
        if !batch.nodes.isEmpty {
            let levels = batch.nodes.map { Int32($0.level) }
            let indexes = batch.nodes.map { Int64($0.index) }
            let hashes = batch.nodes.map { ByteBuffer(bytes: $0.hash) }
            try await connection.query(
                """
                INSERT INTO gatehouse_audit.nodes (instance, level, idx, hash)
                SELECT \(instance), level, idx, hash
                FROM unnest(\(levels)::integer[], \(indexes)::bigint[], \(hashes)::bytea[]) AS t(level, idx, hash)
                ON CONFLICT (instance, level, idx) DO UPDATE SET hash = EXCLUDED.hash
                """, logger: logger)
        }
        if let checkpoint = batch.checkpoint {
            try await connection.query(
                """
                INSERT INTO gatehouse_audit.checkpoints (instance, size, time, note)
                VALUES (\(checkpoint.instance), \(Int64(checkpoint.size)), \(checkpoint.time), \(checkpoint.note))
                """, logger: logger)
        }
    }
}

/// Callers just added to `callers` that could not be read back (which PostgreSQL's own
/// constraint rules out): the batch is not written rather than written without its callers.
struct PostgresCallerMissing: Error, CustomStringConvertible {
    var count: Int

    var description: String {
        "\(self.count) caller(s) added to gatehouse_audit.callers were not found there afterwards"
    }
}
