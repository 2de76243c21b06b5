package import GatehouseAudit
import NIOCore
import PostgresNIO

extension PostgresAuditStore {
    /// Writes `batch` in one transaction: the records as one multi-row insert (two arrays
    /// unnested: one statement and one round trip for the whole batch, query columns derived in
    /// the database), its nodes, its checkpoint.
    ///
    /// - Throws: PostgresNIO's ``PSQLError`` (a unique violation when another writer wrote these
    ///   sequence numbers, a closed connection while PostgreSQL is down, …); nothing was written.
    package func appendUnwrapped(_ batch: AuditBatch) throws {
        let instance = batch.instance
        let first = Int64(batch.firstSeq)
        let seqs = (0..<Int64(batch.bodies.count)).map { first + $0 }
        let bodies = batch.bodies.map { String(decoding: $0, as: UTF8.self) }
        let nodes = batch.nodes
        let checkpoint = batch.checkpoint
        try self.blocking { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                if !bodies.isEmpty {
                    var binds = PostgresBindings()
                    binds.append(instance)
                    binds.append(seqs)
                    binds.append(bodies)
                    try await connection.query(
                        PostgresQuery(unsafeSQL: PostgresAuditSchema.insertRecords, binds: binds), logger: logger)
                }
                if !nodes.isEmpty {
                    let levels = nodes.map { Int32($0.level) }
                    let indexes = nodes.map { Int64($0.index) }
                    let hashes = nodes.map { ByteBuffer(bytes: $0.hash) }
                    try await connection.query(
                        """
                        INSERT INTO gatehouse_audit.nodes (instance, level, idx, hash)
                        SELECT \(instance), level, idx, hash
                        FROM unnest(\(levels)::integer[], \(indexes)::bigint[], \(hashes)::bytea[]) AS t(level, idx, hash)
                        ON CONFLICT (instance, level, idx) DO UPDATE SET hash = EXCLUDED.hash
                        """, logger: logger)
                }
                if let checkpoint {
                    try await connection.query(
                        """
                        INSERT INTO gatehouse_audit.checkpoints (instance, size, time, note)
                        VALUES (\(checkpoint.instance), \(Int64(checkpoint.size)), \(checkpoint.time), \(checkpoint.note))
                        """, logger: logger)
                }
            }
        }
    }
}
