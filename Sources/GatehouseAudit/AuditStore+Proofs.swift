import GRDB

extension AuditStore {
    /// The stored record with decision id `id`: its instance, seq and canonical body.
    ///
    /// - Parameter id: A record id (a decision id from Envoy's dynamic metadata).
    /// - Returns: The first record with that id, or `nil`.
    /// - Throws: ``AuditError`` (`store_failed`) when the store cannot be read.
    package func record(id: String) throws -> (instance: String, seq: UInt64, body: String)? {
        try self.reading { db in
            guard self.hasKeyTables else {
                // A v1 store read without upgrading: its id index.
                return try Row.fetchOne(
                    db, sql: "SELECT instance, seq, body FROM records WHERE id = ? ORDER BY instance, seq LIMIT 1",
                    arguments: [id]
                ).map { row in
                    let seq: Int64 = row[1]
                    return (instance: row[0] as String, seq: UInt64(seq), body: row[2] as String)
                }
            }
            // The keyed records (by the id key table) and the unkeyed tail (AuditStoreKeys), first by (instance, seq).
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM (
                        SELECT r.instance, r.seq, r.body FROM records_id CROSS JOIN records AS r
                        ON r.instance = records_id.instance AND r.seq = records_id.seq
                        WHERE records_id.id = ?1 AND \(AuditStoreSchema.derived("id")) = ?1 ORDER BY r.instance, r.seq LIMIT 1)
                    UNION ALL SELECT * FROM (
                        SELECT r.instance, r.seq, r.body FROM records_indexed AS w CROSS JOIN records AS r
                        ON r.instance = w.instance AND r.seq >= w.next WHERE \(AuditStoreSchema.derived("id")) = ?1
                        ORDER BY r.instance, r.seq LIMIT 1)
                    """,
                arguments: [id]
            ).map { row in
                let seq: Int64 = row[1]
                return (instance: row[0] as String, seq: UInt64(seq), body: row[2] as String)
            }
            return rows.min { left, right in
                left.instance.utf8.elementsEqual(right.instance.utf8)
                    ? left.seq < right.seq : left.instance.utf8.lexicographicallyPrecedes(right.instance.utf8)
            }
        }
    }
}

extension AuditLogStore {
    /// The inclusion proof of record `seq` in `instance`'s tree of `size` records, from stored nodes.
    ///
    /// - Throws: ``AuditError`` (`proof_unavailable`, `node_missing`) when it cannot be built.
    package func inclusionProof(of instance: String, seq: UInt64, size: UInt64) throws -> [MerkleHash] {
        try Merkle.inclusionProof(leaf: seq, size: size, nodes: StoredNodes(store: self, instance: instance))
    }

    /// The consistency proof between `instance`'s trees of `from` and `to` records, from stored nodes.
    ///
    /// - Throws: ``AuditError`` (`proof_unavailable`, `node_missing`) when it cannot be built.
    package func consistencyProof(of instance: String, from: UInt64, to: UInt64) throws -> [MerkleHash] {
        try Merkle.consistencyProof(from: from, to: to, nodes: StoredNodes(store: self, instance: instance))
    }
}

/// The store's kept nodes (and leaves below height 8) as proofs read them; a page of proofs
/// (`PageNodes`) reads through it too.
struct StoredNodes: MerkleNodeSource {
    let store: any AuditLogStore
    let instance: String

    func subtreeRoot(level: Int, index: UInt64) throws(AuditError) -> MerkleHash {
        do {
            return try self.store.subtreeRoot(of: self.instance, level: level, index: index)
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(.storeFailed, "Reading node \(level)/\(index) of '\(self.instance)' failed: \(error).")
        }
    }
}
