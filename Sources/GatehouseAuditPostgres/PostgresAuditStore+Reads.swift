package import GatehouseAudit
import NIOCore
import PostgresNIO

extension PostgresAuditStore {
    package func instances() throws -> [String] {
        try self.reading("Listing the instances") { client, logger in
            // A loose index scan of the records' primary key (one probe per instance, not a scan
            // of every record), plus instances known only by checkpoints or anchors.
            let rows = try await client.query(
                """
                WITH RECURSIVE walk AS (
                    SELECT min(instance) AS instance FROM gatehouse_audit.records
                    UNION ALL
                    SELECT (SELECT min(instance) FROM gatehouse_audit.records r WHERE r.instance > walk.instance)
                    FROM walk WHERE walk.instance IS NOT NULL
                )
                SELECT instance FROM walk WHERE instance IS NOT NULL
                UNION SELECT instance FROM gatehouse_audit.checkpoints
                UNION SELECT instance FROM gatehouse_audit.anchors
                ORDER BY 1
                """, logger: logger)
            var instances: [String] = []
            for try await instance in rows.decode(String.self) { instances.append(instance) }
            return instances
        }
    }

    package func treeSize(of instance: String) throws -> UInt64 {
        try self.reading("Reading the tree size of '\(instance)'") { client, logger in
            let rows = try await client.query(
                """
                SELECT greatest(
                    (SELECT max(seq) + 1 FROM gatehouse_audit.records WHERE instance = \(instance)),
                    (SELECT max(size) FROM gatehouse_audit.anchors WHERE instance = \(instance)), 0)
                """, logger: logger)
            var size: Int64 = 0
            for try await value in rows.decode(Int64.self) { size = value }
            return UInt64(size)
        }
    }

    package func firstRetainedSeq(of instance: String) throws -> UInt64 {
        try self.reading("Reading the retention anchors of '\(instance)'") { client, logger in
            let rows = try await client.query(
                "SELECT coalesce(max(size), 0) FROM gatehouse_audit.anchors WHERE instance = \(instance)",
                logger: logger)
            var size: Int64 = 0
            for try await value in rows.decode(Int64.self) { size = value }
            return UInt64(size)
        }
    }

    package func bodies(of instance: String, in range: Range<UInt64>) throws -> [[UInt8]] {
        let (low, high) = (Int64(range.lowerBound), Int64(range.upperBound))
        let bodies = try self.reading("Reading records of '\(instance)'") { client, logger in
            let rows = try await client.query(
                """
                SELECT seq, body FROM gatehouse_audit.records
                WHERE instance = \(instance) AND seq >= \(low) AND seq < \(high) ORDER BY seq
                """, logger: logger)
            var bodies: [[UInt8]] = []
            var expected = low
            for try await (seq, body) in rows.decode((Int64, String).self) {
                guard seq == expected else { break }
                bodies.append(Array(body.utf8))
                expected += 1
            }
            return bodies
        }
        guard bodies.count == range.count else {
            throw AuditError(
                .storeFailed,
                "Instance '\(instance)' has no record at sequence number \(range.lowerBound + UInt64(bodies.count)) "
                    + "(asked for \(range)). Store: '\(self.location)'.")
        }
        return bodies
    }

    package func storedNode(of instance: String, level: Int, index: UInt64) throws -> [UInt8]? {
        let (level, index) = (Int32(level), Int64(index))
        return try self.reading("Reading a Merkle node of '\(instance)'") { client, logger in
            let rows = try await client.query(
                """
                SELECT hash FROM gatehouse_audit.nodes WHERE instance = \(instance) AND level = \(level) AND idx = \(index)
                """, logger: logger)
            for try await hash in rows.decode(ByteBuffer.self) { return Array(hash.readableBytesView) }
            return nil
        }
    }

    package func latestCheckpoint(of instance: String) throws -> StoredCheckpoint? {
        try self.checkpoints(of: instance, latestOnly: true).last
    }

    package func checkpoints(of instance: String) throws -> [StoredCheckpoint] {
        try self.checkpoints(of: instance, latestOnly: false)
    }

    private func checkpoints(of instance: String, latestOnly: Bool) throws -> [StoredCheckpoint] {
        let query: PostgresQuery =
            latestOnly
            ? """
            SELECT size, time, note FROM gatehouse_audit.checkpoints WHERE instance = \(instance)
            ORDER BY pos DESC LIMIT 1
            """
            : "SELECT size, time, note FROM gatehouse_audit.checkpoints WHERE instance = \(instance) ORDER BY pos"
        return try self.reading("Reading the checkpoints of '\(instance)'") { client, logger in
            var checkpoints: [StoredCheckpoint] = []
            for try await (size, time, note) in try await client.query(query, logger: logger).decode(
                (Int64, String, String).self)
            {
                checkpoints.append(StoredCheckpoint(instance: instance, size: UInt64(size), time: time, note: note))
            }
            return checkpoints
        }
    }

    package func record(id: String) throws -> (instance: String, seq: UInt64, body: String)? {
        let found = try self.reading("Looking up record '\(id)'") { client, logger in
            let rows = try await client.query(
                """
                SELECT instance, seq, body FROM gatehouse_audit.records WHERE id = \(id)
                ORDER BY instance, seq LIMIT 1
                """, logger: logger)
            for try await row in rows.decode((String, Int64, String).self) { return Optional(row) }
            return nil
        }
        return found.map { (instance: $0.0, seq: UInt64($0.1), body: $0.2) }
    }

    package func anchors(of instance: String) throws -> [(size: UInt64, note: String, frontier: [MerkleHash])] {
        let rows = try self.reading("Reading the retention anchors of '\(instance)'") { client, logger in
            var anchors: [(Int64, String, [UInt8])] = []
            for try await (size, note, frontier) in try await client.query(
                "SELECT size, note, frontier FROM gatehouse_audit.anchors WHERE instance = \(instance) ORDER BY size",
                logger: logger
            ).decode((Int64, String, ByteBuffer).self) {
                anchors.append((size, note, Array(frontier.readableBytesView)))
            }
            return anchors
        }
        return rows.map { size, note, bytes in
            let hashes = stride(from: 0, to: bytes.count, by: 32).compactMap {
                MerkleHash(bytes: bytes[$0..<min($0 + 32, bytes.count)])
            }
            return (UInt64(size), note, hashes)
        }
    }
}
