extension Merkle {
    /// The inclusion proof (RFC 9162 §2.1.3.1, PATH) of leaf `leaf` in the tree of `size` leaves.
    ///
    /// - Returns: the sibling hashes from the leaf up to the root.
    /// - Throws: ``AuditError/Code/proofUnavailable`` when `leaf` is not below `size`; what
    ///   `nodes` throws.
    package static func inclusionProof(
        leaf: UInt64, size: UInt64, nodes: some MerkleNodeSource
    ) throws(AuditError) -> [MerkleHash] {
        guard leaf < size else {
            throw AuditError(
                .proofUnavailable, "Record seq \(leaf) is not in a tree of \(size) records; use a later checkpoint.")
        }
        var proof: [MerkleHash] = []
        try Self.path(leaf, start: 0, count: size, nodes: nodes, into: &proof)
        return proof
    }

    /// The consistency proof (RFC 9162 §2.1.4.1, PROOF) between the trees of `from` and `to` leaves.
    ///
    /// - Throws: ``AuditError/Code/proofUnavailable`` unless `0 < from <= to`; what `nodes` throws.
    package static func consistencyProof(
        from: UInt64, to: UInt64, nodes: some MerkleNodeSource
    ) throws(AuditError) -> [MerkleHash] {
        guard from > 0, from <= to else {
            throw AuditError(
                .proofUnavailable,
                "No consistency proof leads from \(from) to \(to) records: the old size must be at least 1 and at most the new one."
            )
        }
        var proof: [MerkleHash] = []
        try Self.subproof(from, start: 0, count: to, complete: true, nodes: nodes, into: &proof)
        return proof
    }

    private static func path(
        _ leaf: UInt64, start: UInt64, count: UInt64, nodes: some MerkleNodeSource, into proof: inout [MerkleHash]
    ) throws(AuditError) {
        guard count > 1 else { return }
        let split = Self.largestPowerOfTwo(below: count)
        if leaf < split {
            try Self.path(leaf, start: start, count: split, nodes: nodes, into: &proof)
            proof.append(try Self.rangeRoot(start: start + split, count: count - split, nodes: nodes))
        } else {
            try Self.path(leaf - split, start: start + split, count: count - split, nodes: nodes, into: &proof)
            proof.append(try Self.rangeRoot(start: start, count: split, nodes: nodes))
        }
    }

    private static func subproof(
        _ old: UInt64, start: UInt64, count: UInt64, complete: Bool, nodes: some MerkleNodeSource,
        into proof: inout [MerkleHash]
    ) throws(AuditError) {
        if old == count {
            if !complete { proof.append(try Self.rangeRoot(start: start, count: count, nodes: nodes)) }
            return
        }
        let split = Self.largestPowerOfTwo(below: count)
        if old <= split {
            try Self.subproof(old, start: start, count: split, complete: complete, nodes: nodes, into: &proof)
            proof.append(try Self.rangeRoot(start: start + split, count: count - split, nodes: nodes))
        } else {
            try Self.subproof(
                old - split, start: start + split, count: count - split, complete: false, nodes: nodes, into: &proof)
            proof.append(try Self.rangeRoot(start: start, count: split, nodes: nodes))
        }
    }

    /// MTH of leaves `start ..< start + count`, where `start` is a multiple of the largest power
    /// of two not above `count` (always so in the RFC's recursion): perfect subtrees, folded right to left.
    static func rangeRoot(start: UInt64, count: UInt64, nodes: some MerkleNodeSource) throws(AuditError) -> MerkleHash {
        var roots: [MerkleHash] = []
        var position = start
        for level in stride(from: 63, through: 0, by: -1) where count >> level & 1 == 1 {
            roots.append(try nodes.subtreeRoot(level: level, index: position >> level))
            position += 1 << level
        }
        guard var root = roots.popLast() else { return Merkle.emptyRoot }
        while let left = roots.popLast() { root = Merkle.nodeHash(left, root) }
        return root
    }

    /// The largest power of two smaller than `count` (count > 1).
    static func largestPowerOfTwo(below count: UInt64) -> UInt64 {
        1 << (63 - (count - 1).leadingZeroBitCount)
    }
}
