import Foundation
import GRDB

extension AuditStore {
    /// The first kept sequence number of `instance` whose record is at or after `time`; nil when none is.
    package func firstSeq(of instance: String, atOrAfter time: String) throws -> UInt64? {
        try self.reading { db in
            try Int64.fetchOne(
                db,
                sql:
                    "SELECT min(seq) FROM records WHERE instance = ? AND \(AuditStoreSchema.derived("time", of: nil)) >= ?",
                arguments: [instance, time]
            ).map { UInt64($0) }
        }
    }

    /// The first sequence number of `instance` from which the kept bodies total at most `bytes`; nil when all fit.
    package func firstSeq(of instance: String, keepingBytes bytes: Int64) throws -> UInt64? {
        try self.reading { db in
            let newestTooMany = try Int64.fetchOne(
                db,
                sql: """
                    SELECT seq FROM (
                        SELECT seq, sum(length(body)) OVER (ORDER BY seq DESC) AS kept FROM records WHERE instance = ?
                    ) WHERE kept > ? ORDER BY seq DESC LIMIT 1
                    """,
                arguments: [instance, bytes]
            )
            return newestTooMany.map { UInt64($0 + 1) }
        }
    }

    /// The retention anchors of `instance` (prune point, signed note, frontier), oldest first.
    package func anchors(of instance: String) throws -> [(size: UInt64, note: String, frontier: [MerkleHash])] {
        try self.reading { db in
            try Row.fetchAll(
                db, sql: "SELECT size, note, frontier FROM anchors WHERE instance = ? ORDER BY size",
                arguments: [instance]
            ).map { row in
                let size: Int64 = row[0]
                let blob: Data = row[2]
                let bytes = Array(blob)
                let hashes = stride(from: 0, to: bytes.count, by: 32).compactMap {
                    MerkleHash(bytes: bytes[$0..<min($0 + 32, bytes.count)])
                }
                return (UInt64(size), row[1], hashes)
            }
        }
    }

    /// Writes the anchor and deletes `instance`'s records below `point`, in one transaction.
    package func prune(instance: String, below point: UInt64, anchorNote: String, frontier: [MerkleHash]) throws {
        do {
            try self.pool.write { db in
                try db.execute(
                    sql: "INSERT INTO anchors (instance, size, note, frontier) VALUES (?, ?, ?, ?)",
                    arguments: [instance, Int64(point), anchorNote, Data(frontier.flatMap(\.bytes))]
                )
                try Self.deleteKeys(of: instance, below: point, in: db)
                try db.execute(
                    sql: "DELETE FROM records WHERE instance = ? AND seq < ?", arguments: [instance, Int64(point)]
                )
            }
        } catch {
            throw AuditError.storeFailed(
                "Pruning instance '\(instance)' below sequence number \(point) failed; nothing was pruned.",
                path: self.path, cause: error
            )
        }
    }
}
