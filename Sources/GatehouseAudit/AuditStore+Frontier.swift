extension AuditLogStore {
    /// The perfect-subtree roots of `instance`'s tree at `size` (largest first): from stored
    /// nodes at height ``AuditStore/storedNodeHeight`` and up, recomputed from at most 255 leaves below.
    ///
    /// - Throws: ``AuditError`` (`node_missing`) when a stored node or leaf it needs is gone.
    package func frontier(of instance: String, size: UInt64) throws -> [MerkleHash] {
        var hashes: [MerkleHash] = []
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (1 << UInt64(level)) != 0 {
            let width = UInt64(1) << UInt64(level)
            hashes.append(try self.subtreeRoot(of: instance, level: level, index: start >> UInt64(level)))
            start += width
        }
        return hashes
    }

    /// The root of the perfect subtree (`level`, `index`): one read from height 8 up, else hashed from its leaves.
    package func subtreeRoot(of instance: String, level: Int, index: UInt64) throws -> MerkleHash {
        if level >= AuditStore.storedNodeHeight {
            guard let bytes = try self.storedNode(of: instance, level: level, index: index),
                let hash = MerkleHash(bytes: bytes)
            else {
                throw AuditError(
                    .nodeMissing,
                    "Instance '\(instance)' has no stored Merkle node at level \(level), index \(index) in "
                        + "'\(self.location)'; the store was pruned past it or damaged."
                )
            }
            return hash
        }
        let first = index << UInt64(level)
        let leaves: [[UInt8]]
        do {
            leaves = try self.bodies(of: instance, in: first..<first + (1 << UInt64(level)))
        } catch let error as AuditError {
            throw AuditError(.nodeMissing, error.message)
        }
        var appender = MerkleAppender()
        for leaf in leaves { appender.append(Merkle.leafHash(leaf)) { _ in } }
        return appender.root
    }

    /// The tree of `instance` as stored, ready to append to, checked against its latest checkpoint.
    ///
    /// - Throws: ``AuditError`` (`store_corrupt`) when the stored records and nodes do not give the
    ///   root the latest checkpoint signed: appending would extend a tree no checkpoint vouches for.
    package func resumeAppender(of instance: String) throws -> MerkleAppender {
        let size = try self.treeSize(of: instance)
        let appender = try MerkleAppender(size: size, frontier: self.frontier(of: instance, size: size))
        guard let checkpoint = try self.latestCheckpoint(of: instance) else { return appender }
        guard checkpoint.size <= size else {
            throw AuditError(
                .storeCorrupt,
                "Instance '\(instance)' has a checkpoint of \(checkpoint.size) records but only \(size) are stored in "
                    + "'\(self.location)': records were removed. Run 'gatehouse audit verify' and keep the file as "
                    + "evidence; the writer will not extend this log."
            )
        }
        let root =
            checkpoint.size == size
            ? appender.root
            : try MerkleAppender(size: checkpoint.size, frontier: self.frontier(of: instance, size: checkpoint.size))
                .root
        guard let signed = Self.checkpointRoot(checkpoint.note), signed == root else {
            throw AuditError(
                .storeCorrupt,
                "The records of instance '\(instance)' in '\(self.location)' do not hash to the root its checkpoint at "
                    + "size \(checkpoint.size) signed: the log was altered. Run 'gatehouse audit verify' and keep the "
                    + "file as evidence; the writer will not extend this log."
            )
        }
        return appender
    }

    /// The root hash line of a C2SP checkpoint note (origin, size, base64 root, …).
    static func checkpointRoot(_ note: String) -> MerkleHash? {
        let lines = note.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3 else { return nil }
        return MerkleHash(base64: String(lines[2]))
    }
}
