import GRDB

extension AuditStore {
    /// The stored record with decision id `id`: its instance, seq and canonical body.
    ///
    /// - Parameter id: A record id (a decision id from Envoy's dynamic metadata).
    /// - Returns: The first record with that id, or `nil`.
    /// - Throws: ``AuditError`` (`store_failed`) when the store cannot be read.
    package func record(id: String) throws -> (instance: String, seq: UInt64, body: String)? {
        try self.reading { db in
            try Row.fetchOne(
                db, sql: "SELECT instance, seq, body FROM records WHERE id = ? ORDER BY instance, seq LIMIT 1",
                arguments: [id]
            ).map { row in
                let seq: Int64 = row[1]
                return (row[0], UInt64(seq), row[2])
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
