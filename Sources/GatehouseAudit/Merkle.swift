import Crypto

/// RFC 9162's Merkle tree hashing (§2.1.1), proofs (§2.1.3, §2.1.4) and their verification.
///
/// Leaves and interior nodes are hashed with different one-byte prefixes so that no leaf can
/// pass for a node (second-preimage resistance). Everything here is a pure function; the
/// store supplies stored subtree roots through ``MerkleNodeSource``.
///
/// ```swift
/// var tree = MerkleAppender()
/// for body in bodies { tree.append(Merkle.leafHash(body)) }
/// let proof = try Merkle.inclusionProof(leaf: 3, size: tree.size, nodes: store)
/// try Merkle.verifyInclusion(leaf: 3, leafHash: Merkle.leafHash(bodies[3]), size: tree.size, proof: proof, root: tree.root)
/// ```
package enum Merkle {
    /// The root of the empty tree: SHA-256 of no bytes.
    package static let emptyRoot = MerkleHash { _ in }

    /// A leaf's hash: SHA-256(0x00 ‖ data).
    package static func leafHash(_ data: some Collection<UInt8>) -> MerkleHash {
        MerkleHash { hasher in
            hasher.update(data: [0x00])
            if let done: Void = data.withContiguousStorageIfAvailable({
                hasher.update(bufferPointer: UnsafeRawBufferPointer($0))
            }) {
                return done
            }
            hasher.update(data: Array(data))
        }
    }

    /// An interior node's hash: SHA-256(0x01 ‖ left ‖ right).
    package static func nodeHash(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        MerkleHash { hasher in
            withUnsafeTemporaryAllocation(byteCount: 1 + 2 * MerkleHash.byteCount, alignment: 8) { buffer in
                buffer[0] = 0x01
                left.withUnsafeBytes {
                    buffer.baseAddress!.advanced(by: 1).copyMemory(from: $0.baseAddress!, byteCount: 32)
                }  // 65 bytes allocated just above
                right.withUnsafeBytes {
                    buffer.baseAddress!.advanced(by: 33).copyMemory(from: $0.baseAddress!, byteCount: 32)
                }  // idem
                hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
            }
        }
    }
}

/// A perfect subtree of the log's tree: its root hash and where it sits.
package struct MerkleNode: Hashable, Sendable {
    /// The subtree's height: 0 for a leaf, `k` for a subtree of 2^k leaves.
    package var level: Int
    /// Its position among the subtrees of that level: it covers leaves `index << level ..< (index + 1) << level`.
    package var index: UInt64
    /// Its root (the leaf hash at level 0).
    package var hash: MerkleHash

    package init(level: Int, index: UInt64, hash: MerkleHash) {
        self.level = level
        self.index = index
        self.hash = hash
    }
}
