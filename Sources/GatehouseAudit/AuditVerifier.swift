/// Checks a whole decision log against its signed checkpoints, record by record.
///
/// For each instance it reads the bodies in sequence order, in chunks, checks that each is the
/// canonical encoding of a record whose `instance` and `seq` fields are its row's, recomputes
/// the leaf hashes and the tree (from the retention anchor's signed frontier when the log was
/// pruned), and compares the root at each stored checkpoint's size with the signed one. It
/// stops at the first problem per instance and says which (`record_modified`, `record_missing`,
/// `record_inserted`, `records_reordered`, `log_truncated`, `checkpoint_forged`) and where.
///
/// ```swift
/// let verifier = AuditVerifier(store: store) { instance in
///     try AuditVerifierKey(name: "gatehouse.audit/\(instance)", publicKey: publicKey)
/// }
/// for result in try verifier.verify() where !result.isIntact { print(result.problem!) }
/// ```
package struct AuditVerifier: Sendable {
    /// The store to verify.
    package let store: any AuditLogStore
    /// How many records are read, hashed and checked at a time.
    package let chunkSize: Int
    private let key: @Sendable (String) throws -> AuditVerifierKey

    /// A verifier for `store`.
    ///
    /// - Parameters:
    ///   - store: The store to verify (read-only is enough).
    ///   - chunkSize: How many records to read at a time.
    ///   - key: The verifier key of an instance's checkpoints; what it throws, ``verify()`` throws.
    package init(
        store: any AuditLogStore, chunkSize: Int = 10_000,
        key: @escaping @Sendable (_ instance: String) throws -> AuditVerifierKey
    ) {
        self.store = store
        self.chunkSize = max(1, chunkSize)
        self.key = key
    }

    /// Verifies every instance in the store.
    ///
    /// - Returns: One result per instance, in instance order; tampering is a result, not an error.
    /// - Throws: ``AuditError`` when the store cannot be read, or what the key function throws.
    package func verify() throws -> [AuditVerification] {
        try self.store.instances().map { try self.verify(instance: $0) }
    }

    /// Verifies one instance's log.
    ///
    /// - Parameter instance: The writer instance.
    /// - Returns: The verified tree, or the first problem found.
    /// - Throws: ``AuditError`` when the store cannot be read, or what the key function throws.
    package func verify(instance: String) throws -> AuditVerification {
        let key = try self.key(instance)
        var walk = AuditVerifierWalk(instance: instance)
        do {
            let checkpoints = try self.openCheckpoints(of: instance, key: key)
            try self.start(&walk, key: key)
            walk.pending = checkpoints.filter { $0.size >= walk.appender.size }
            walk.skipped = checkpoints.count - walk.pending.count
            try walk.compareCheckpoints()
            try self.readRecords(&walk)
            try walk.finish()
        } catch let finding as AuditVerifierWalk.Finding {
            return walk.result(finding)
        }
        return walk.result(nil)
    }

    private func openCheckpoints(of instance: String, key: AuditVerifierKey) throws -> [Checkpoint] {
        try self.store.checkpoints(of: instance).map { stored in
            let checkpoint = try Self.open(stored.note, what: "checkpoint of size \(stored.size) (\(stored.time))", key)
            guard checkpoint.size == stored.size, checkpoint.instance == instance else {
                throw AuditVerifierWalk.Finding(
                    .checkpointForged,
                    "The checkpoint stored for size \(stored.size) of instance '\(instance)' signs size "
                        + "\(checkpoint.size) of instance '\(checkpoint.instance)': its row was altered or copied "
                        + "from another log.")
            }
            return checkpoint
        }.sorted { $0.size < $1.size }
    }

    /// Starts from the latest retention anchor's signed frontier, or the empty tree.
    private func start(_ walk: inout AuditVerifierWalk, key: AuditVerifierKey) throws {
        var start: (size: UInt64, note: String, frontier: [MerkleHash])?
        for anchor in try self.store.anchors(of: walk.instance) {
            _ = try Self.open(anchor.note, what: "retention anchor at size \(anchor.size)", key)
            start = anchor
        }
        guard let start else { return }
        let anchor = try Self.open(start.note, what: "retention anchor at size \(start.size)", key)
        guard anchor.size == start.size, let appender = try? MerkleAppender(size: start.size, frontier: start.frontier),
            appender.root == anchor.root
        else {
            throw AuditVerifierWalk.Finding(
                .recordModified,
                "The retention anchor at size \(start.size) keeps a frontier whose root is not the signed one: the "
                    + "anchor row was altered, so the kept records cannot be tied to the pruned ones.",
                seq: start.size)
        }
        walk.appender = appender
        walk.firstSeq = start.size
    }

    /// Reads the rows in batches in one snapshot, three batches in flight: while a helper thread
    /// hashes and checks the current batch, this thread walks the previous one (appending its
    /// hashes in order, decoding fully only what the fast check could not prove) and reads the
    /// next from SQLite, then joins the hashing. Only the last batch's walk is not overlapped.
    private func readRecords(_ walk: inout AuditVerifierWalk) throws {
        let instance = Array(walk.instance.utf8)
        let size = self.chunkSize
        // A finding is returned out of the read, not thrown through it: the store would report
        // anything it did not throw itself as a read failure.
        let finding: AuditVerifierWalk.Finding? = try self.store.withStoredRows(
            of: walk.instance, from: walk.appender.size
        ) { rows in
            var (walked, current, next) = (
                AuditVerifierBatch(capacity: size), AuditVerifierBatch(capacity: size),
                AuditVerifierBatch(capacity: size)
            )
            var more = try rows.fill(current, limit: size)
            while current.count > 0 {
                let finding = try current.prove(instance: instance) {
                    [walked, current, next] () throws -> AuditVerifierWalk.Finding? in
                    if let finding = walk.check(walked, followedBy: current) { return finding }
                    if more { more = try rows.fill(next, limit: size) } else { next.removeAll() }
                    return nil
                }
                if let finding { return finding }
                (walked, current, next) = (current, next, walked)
            }
            return walk.check(walked, followedBy: current)
        }
        if let finding { throw finding }
    }

    private static func open(_ note: String, what: String, _ key: AuditVerifierKey) throws -> Checkpoint {
        do {
            return try Checkpoint.open(note, verifier: key)
        } catch {
            throw AuditVerifierWalk.Finding(
                .checkpointForged,
                "The \(what) is not signed by '\(key.name)' (key id \(key.keyIDHex)): \(error.message) If the key is "
                    + "right, someone rewrote the log and signed it with another key.")
        }
    }
}
