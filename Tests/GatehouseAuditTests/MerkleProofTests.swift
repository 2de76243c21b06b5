import GatehouseAudit
import Testing

/// The kept nodes of a tree built in memory, as the store would keep them.
private struct RecordedNodes: MerkleNodeSource {
    var nodes: [Int: [UInt64: MerkleHash]] = [:]

    init(leaves: [[UInt8]]) {
        var tree = MerkleAppender()
        for leaf in leaves {
            tree.append(Merkle.leafHash(leaf)) { node in self.nodes[node.level, default: [:]][node.index] = node.hash }
        }
    }

    func subtreeRoot(level: Int, index: UInt64) throws(AuditError) -> MerkleHash {
        guard let hash = self.nodes[level]?[index] else { throw AuditError(.nodeMissing, "\(level)/\(index)") }
        return hash
    }
}

@Suite(.bug(id: "13")) struct MerkleProofTests {
    static let leaves = MerkleReference.leaves(70)
    private static let nodes = RecordedNodes(leaves: leaves)

    static func hash(_ bytes: [UInt8]) -> MerkleHash { MerkleHash(bytes: bytes)! }  // the reference makes 32 bytes
    /// MTH of the first `size` leaves, for every size 0…70, from the reference.
    static let roots: [MerkleHash] = (0...70).map { hash(MerkleReference.mth(leaves[0..<$0])) }
    static func root(_ size: Int) -> MerkleHash { roots[size] }

    static func flipped(_ hash: MerkleHash, bit: Int) -> MerkleHash {
        var bytes = hash.bytes
        bytes[bit / 8 % 32] ^= 1 << (bit % 8)
        return MerkleHash(bytes: bytes)!  // still 32 bytes
    }

    @Test("Inclusion proofs equal RFC 9162's PATH and verify, for every size 1…70 and every leaf")
    func inclusion() throws {
        for size in 1...70 {
            let root = Self.root(size)
            for leaf in 0..<size {
                let proof = try Merkle.inclusionProof(leaf: UInt64(leaf), size: UInt64(size), nodes: Self.nodes)
                #expect(proof.map(\.bytes) == MerkleReference.path(leaf, Self.leaves[0..<size]))
                let leafHash = Merkle.leafHash(Self.leaves[leaf])
                try Merkle.verifyInclusion(
                    leaf: UInt64(leaf), leafHash: leafHash, size: UInt64(size), proof: proof, root: root)
                // One flipped bit in any proof hash, the leaf hash or the root; another index or size.
                for (position, element) in proof.enumerated() {
                    var forged = proof
                    forged[position] = Self.flipped(element, bit: leaf * 7 + position * 13)
                    #expect(throws: AuditError.self) {
                        try Merkle.verifyInclusion(
                            leaf: UInt64(leaf), leafHash: leafHash, size: UInt64(size), proof: forged, root: root)
                    }
                }
                #expect(throws: AuditError.self) {
                    try Merkle.verifyInclusion(
                        leaf: UInt64(leaf), leafHash: Self.flipped(leafHash, bit: size), size: UInt64(size),
                        proof: proof, root: root)
                }
                #expect(throws: AuditError.self) {
                    try Merkle.verifyInclusion(
                        leaf: UInt64(leaf), leafHash: leafHash, size: UInt64(size), proof: proof,
                        root: Self.flipped(root, bit: leaf))
                }
                for otherLeaf in [leaf ^ 1, leaf ^ 2, leaf + 1, size] where otherLeaf != leaf && size > 1 {
                    #expect(throws: AuditError.self) {
                        try Merkle.verifyInclusion(
                            leaf: UInt64(otherLeaf), leafHash: leafHash, size: UInt64(size), proof: proof, root: root)
                    }
                }
                // Another size with its own root (the pair a forged checkpoint would carry).
                for bit in 0..<7 where (size ^ (1 << bit)) > leaf && (size ^ (1 << bit)) <= 70 {
                    #expect(throws: AuditError.self) {
                        try Merkle.verifyInclusion(
                            leaf: UInt64(leaf), leafHash: leafHash, size: UInt64(size ^ (1 << bit)), proof: proof,
                            root: Self.root(size ^ (1 << bit)))
                    }
                }
                if !proof.isEmpty {
                    #expect(throws: AuditError.self) {
                        try Merkle.verifyInclusion(
                            leaf: UInt64(leaf), leafHash: leafHash, size: UInt64(size), proof: proof.dropLast(),
                            root: root)
                    }
                }
            }
        }
        #expect(throws: AuditError.self) { try Merkle.inclusionProof(leaf: 5, size: 5, nodes: Self.nodes) }
    }

    @Test("Every bit of every hash in a proof matters (sizes 13 and 64, all leaves)")
    func everyBit() throws {
        for size in [13, 64] {
            let root = Self.root(size)
            for leaf in 0..<size {
                let proof = try Merkle.inclusionProof(leaf: UInt64(leaf), size: UInt64(size), nodes: Self.nodes)
                let leafHash = Merkle.leafHash(Self.leaves[leaf])
                for position in proof.indices {
                    for bit in 0..<256 {
                        var forged = proof
                        forged[position] = Self.flipped(proof[position], bit: bit)
                        #expect(throws: AuditError.self) {
                            try Merkle.verifyInclusion(
                                leaf: UInt64(leaf), leafHash: leafHash, size: UInt64(size), proof: forged, root: root)
                        }
                    }
                }
            }
        }
    }

    @Test("Consistency proofs equal RFC 9162's PROOF and verify, for every old size ≤ new size ≤ 70")
    func consistency() throws {
        for to in 1...70 {
            let toRoot = Self.root(to)
            for from in 1...to {
                let fromRoot = Self.root(from)
                let proof = try Merkle.consistencyProof(from: UInt64(from), to: UInt64(to), nodes: Self.nodes)
                if from < to {
                    #expect(proof.map(\.bytes) == MerkleReference.proof(from, Self.leaves[0..<to]))
                } else {
                    #expect(proof.isEmpty)
                }
                try Merkle.verifyConsistency(
                    from: UInt64(from), fromRoot: fromRoot, to: UInt64(to), toRoot: toRoot, proof: proof)
                for (position, element) in proof.enumerated() {
                    var forged = proof
                    forged[position] = Self.flipped(element, bit: from * 11 + position * 5)
                    #expect(throws: AuditError.self) {
                        try Merkle.verifyConsistency(
                            from: UInt64(from), fromRoot: fromRoot, to: UInt64(to), toRoot: toRoot, proof: forged)
                    }
                }
                #expect(throws: AuditError.self) {
                    try Merkle.verifyConsistency(
                        from: UInt64(from), fromRoot: Self.flipped(fromRoot, bit: to), to: UInt64(to), toRoot: toRoot,
                        proof: proof)
                }
                #expect(throws: AuditError.self) {
                    try Merkle.verifyConsistency(
                        from: UInt64(from), fromRoot: fromRoot, to: UInt64(to), toRoot: Self.flipped(toRoot, bit: from),
                        proof: proof)
                }
                for bit in 0..<7 {
                    let otherFrom = from ^ (1 << bit)
                    let otherTo = to ^ (1 << bit)
                    // A size is bound to its root by the checkpoint's signature, not by the proof (RFC 9162
                    // proofs for 4 → 5 and 4 → 7 have the same shape), so the forgery to refuse is the
                    // other size with that size's real root.
                    if otherFrom >= 1, otherFrom <= to {
                        #expect(throws: AuditError.self) {
                            try Merkle.verifyConsistency(
                                from: UInt64(otherFrom), fromRoot: Self.root(otherFrom), to: UInt64(to), toRoot: toRoot,
                                proof: proof)
                        }
                    }
                    if otherTo >= from, otherTo <= 70 {
                        #expect(throws: AuditError.self) {
                            try Merkle.verifyConsistency(
                                from: UInt64(from), fromRoot: fromRoot, to: UInt64(otherTo), toRoot: Self.root(otherTo),
                                proof: proof)
                        }
                    }
                }
            }
        }
        #expect(throws: AuditError.self) { try Merkle.consistencyProof(from: 0, to: 5, nodes: Self.nodes) }
        #expect(throws: AuditError.self) { try Merkle.consistencyProof(from: 6, to: 5, nodes: Self.nodes) }
    }
}
