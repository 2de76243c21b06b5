extension Merkle {
    /// Checks an inclusion proof (RFC 9162 §2.1.3.2): leaf `leaf` with hash `leafHash` is in the
    /// tree of `size` leaves whose root is `root`.
    ///
    /// - Throws: ``AuditError/Code/proofInvalid`` when it is not.
    package static func verifyInclusion(
        leaf: UInt64, leafHash: MerkleHash, size: UInt64, proof: [MerkleHash], root: MerkleHash
    ) throws(AuditError) {
        guard leaf < size else { throw Self.invalid("record \(leaf) is not below the tree size \(size)") }
        var fn = leaf
        var sn = size - 1
        var hash = leafHash
        for sibling in proof {
            guard sn > 0 else { throw Self.invalid("the inclusion proof is longer than a tree of \(size) needs") }
            if fn & 1 == 1 || fn == sn {
                hash = Merkle.nodeHash(sibling, hash)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                hash = Merkle.nodeHash(hash, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw Self.invalid("the inclusion proof is shorter than a tree of \(size) needs") }
        guard hash == root else {
            throw Self.invalid("record \(leaf) with this proof does not lead to the root of the tree of \(size)")
        }
    }

    /// Checks a consistency proof (RFC 9162 §2.1.4.2): the tree of `from` leaves with root
    /// `fromRoot` is a prefix of the tree of `to` leaves with root `toRoot`.
    ///
    /// Equal sizes need an empty proof and equal roots; an empty old tree is a prefix of any.
    ///
    /// - Throws: ``AuditError/Code/proofInvalid`` when it is not.
    package static func verifyConsistency(
        from: UInt64, fromRoot: MerkleHash, to: UInt64, toRoot: MerkleHash, proof: [MerkleHash]
    ) throws(AuditError) {
        guard from <= to else { throw Self.invalid("the old size \(from) is larger than the new size \(to)") }
        if from == 0 {
            guard proof.isEmpty, fromRoot == Merkle.emptyRoot else {
                throw Self.invalid("an empty tree needs no proof")
            }
            return
        }
        if from == to {
            guard proof.isEmpty, fromRoot == toRoot else {
                throw Self.invalid("two checkpoints of size \(from) have different roots")
            }
            return
        }
        guard !proof.isEmpty else { throw Self.invalid("the consistency proof is empty") }
        var path = proof
        if from & (from - 1) == 0 { path.insert(fromRoot, at: 0) }
        var fn = from - 1
        var sn = to - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var oldHash = path[0]
        var newHash = path[0]
        for node in path.dropFirst() {
            guard sn > 0 else { throw Self.invalid("the consistency proof is longer than \(from) → \(to) needs") }
            if fn & 1 == 1 || fn == sn {
                oldHash = Merkle.nodeHash(node, oldHash)
                newHash = Merkle.nodeHash(node, newHash)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                newHash = Merkle.nodeHash(newHash, node)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0, oldHash == fromRoot, newHash == toRoot else {
            throw Self.invalid("the tree of \(to) records does not extend the tree of \(from) records with this proof")
        }
    }

    private static func invalid(_ what: String) -> AuditError {
        AuditError(.proofInvalid, "The proof does not hold: \(what).")
    }
}
