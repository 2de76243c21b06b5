/// What verifying one instance's log found: the verified tree, or the first problem.
///
/// The verifier stops at the first problem of an instance, since everything after a changed
/// record hashes differently; ``problem``'s code says what kind of change it was, ``seq`` (or
/// ``suspects``, when only a signed root shows the change) says where to look.
package struct AuditVerification: Sendable, Equatable {
    /// The writer instance.
    package var instance: String
    /// The first sequence number still kept (the retention anchor's size; 0 when nothing was pruned).
    package var firstSeq: UInt64
    /// The tree size verified: every record below it was checked.
    package var size: UInt64
    /// How many stored checkpoints were compared with the recomputed root.
    package var checkpoints: Int
    /// The recomputed root over the first ``size`` records.
    package var root: MerkleHash
    /// Records after the latest checkpoint, which no signature covers yet.
    package var unsigned: UInt64
    /// The first problem found, or `nil` when the log is intact.
    package var problem: AuditError?
    /// The sequence number where the problem shows, when one record is to blame.
    package var seq: UInt64?
    /// The records one of which differs from what was signed, when only a checkpoint's root shows it.
    package var suspects: Range<UInt64>?

    /// Whether the log verified without a problem.
    package var isIntact: Bool { self.problem == nil }

    /// A verification result.
    ///
    /// - Parameters:
    ///   - instance: The writer instance.
    ///   - firstSeq: The first retained sequence number.
    ///   - size: The tree size verified.
    ///   - checkpoints: The checkpoints compared.
    ///   - root: The recomputed root.
    ///   - unsigned: Records after the latest checkpoint.
    ///   - problem: The first problem, if any.
    ///   - seq: Where it shows.
    ///   - suspects: The records to compare, when only a root shows it.
    package init(
        instance: String, firstSeq: UInt64 = 0, size: UInt64 = 0, checkpoints: Int = 0,
        root: MerkleHash = Merkle.emptyRoot,
        unsigned: UInt64 = 0, problem: AuditError? = nil, seq: UInt64? = nil, suspects: Range<UInt64>? = nil
    ) {
        self.instance = instance
        self.firstSeq = firstSeq
        self.size = size
        self.checkpoints = checkpoints
        self.root = root
        self.unsigned = unsigned
        self.problem = problem
        self.seq = seq
        self.suspects = suspects
    }
}
