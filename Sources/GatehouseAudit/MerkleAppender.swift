/// The growing edge of an append-only Merkle tree: enough to append leaves and compute the root
/// without the leaves themselves (a "compact range").
///
/// It holds the roots of the perfect subtrees that make up the tree, one per set bit of
/// ``size`` (largest, leftmost first). Appending a leaf merges equal-sized subtrees, one SHA-256
/// per level completed, and reports each completed subtree so that the store can keep them for
/// proofs. A writer that restarts resumes with ``init(size:frontier:)`` from what it stored.
package struct MerkleAppender: Sendable, Equatable {
    /// How many leaves the tree has.
    package private(set) var size: UInt64
    /// The perfect subtree roots of `size`'s binary decomposition, largest first.
    package private(set) var frontier: [MerkleHash]

    /// An empty tree.
    package init() {
        self.size = 0
        self.frontier = []
    }

    /// Resumes a tree of `size` leaves from its frontier.
    ///
    /// - Parameters:
    ///   - size: the number of leaves.
    ///   - frontier: the roots of the perfect subtrees of `size`'s binary decomposition, largest
    ///     first (as ``frontier`` gives them): one per set bit of `size`.
    /// - Throws: ``AuditError/Code/storeCorrupt`` when the count does not match `size`.
    package init(size: UInt64, frontier: [MerkleHash]) throws(AuditError) {
        guard frontier.count == size.nonzeroBitCount else {
            throw AuditError(
                .storeCorrupt,
                "A tree of \(size) leaves has \(size.nonzeroBitCount) frontier hashes, not \(frontier.count): "
                    + "the stored frontier does not belong to this size.")
        }
        self.size = size
        self.frontier = frontier
    }

    /// The tree's root (RFC 9162's MTH): the frontier folded right to left; SHA-256 of nothing when empty.
    package var root: MerkleHash {
        guard var root = self.frontier.last else { return Merkle.emptyRoot }
        for left in self.frontier.dropLast().reversed() {
            root = Merkle.nodeHash(left, root)
        }
        return root
    }

    /// Appends a leaf and returns the subtrees it completed: the leaf itself (level 0), then one
    /// node per level merged.
    @discardableResult
    package mutating func append(_ leaf: MerkleHash) -> [MerkleNode] {
        var nodes: [MerkleNode] = []
        self.append(leaf) { nodes.append($0) }
        return nodes
    }

    /// Appends a leaf, handing each completed subtree to `completed` (no array is built).
    package mutating func append(_ leaf: MerkleHash, completed: (MerkleNode) -> Void) {
        var hash = leaf
        var level = 0
        var index = self.size
        completed(MerkleNode(level: 0, index: index, hash: hash))
        // Each trailing one bit of the old size is a subtree of equal height waiting on the left.
        while index & 1 == 1 {
            hash = Merkle.nodeHash(self.frontier.removeLast(), hash)
            level += 1
            index >>= 1
            completed(MerkleNode(level: level, index: index, hash: hash))
        }
        self.frontier.append(hash)
        self.size += 1
    }
}
