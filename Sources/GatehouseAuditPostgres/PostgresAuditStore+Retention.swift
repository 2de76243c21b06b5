package import GatehouseAudit
import NIOCore
import PostgresNIO

extension PostgresAuditStore {
    package func firstSeq(of instance: String, atOrAfter time: String) throws -> UInt64? {
        try self.reading("Finding the retention point of '\(instance)'") { client, logger in
            let rows = try await client.query(
                "SELECT min(seq) FROM gatehouse_audit.records WHERE instance = \(instance) AND time >= \(time)",
                logger: logger)
            for try await seq in rows.decode(Int64?.self) { return seq.map { UInt64($0) } }
            return nil
        }
    }

    package func firstSeq(of instance: String, keepingBytes bytes: Int64) throws -> UInt64? {
        try self.reading("Finding the retention point of '\(instance)'") { client, logger in
            let rows = try await client.query(
                """
                SELECT seq FROM (
                    SELECT seq, sum(octet_length(body)) OVER (ORDER BY seq DESC) AS kept
                    FROM gatehouse_audit.records WHERE instance = \(instance)
                ) AS t WHERE kept > \(bytes) ORDER BY seq DESC LIMIT 1
                """, logger: logger)
            for try await seq in rows.decode(Int64.self) { return UInt64(seq + 1) }
            return nil
        }
    }

    package func prune(instance: String, below point: UInt64, anchorNote: String, frontier: [MerkleHash]) throws {
        let frontier = ByteBuffer(bytes: frontier.flatMap(\.bytes))
        let point = Int64(point)
        do {
            try self.blocking { client, logger in
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query(
                        """
                        INSERT INTO gatehouse_audit.anchors (instance, size, note, frontier)
                        VALUES (\(instance), \(point), \(anchorNote), \(frontier))
                        """, logger: logger)
                    try await connection.query(
                        "DELETE FROM gatehouse_audit.records WHERE instance = \(instance) AND seq < \(point)",
                        logger: logger)
                }
            }
        } catch {
            throw AuditError(
                .storeFailed,
                "Pruning instance '\(instance)' below sequence number \(point) failed; nothing was pruned "
                    + "(\(Self.describe(error))). Store: '\(self.location)'.")
        }
    }
}
