/// Where proofs get the roots of perfect subtrees: the store's kept nodes, or leaves in memory.
///
/// A perfect subtree at `level` and `index` covers leaves `index << level ..< (index + 1) << level`
/// (level 0 is a leaf hash); ``MerkleAppender`` reports each one as it completes.
package protocol MerkleNodeSource {
    /// The root of the perfect subtree at `level`, `index`.
    ///
    /// - Throws: ``AuditError/Code/nodeMissing`` when it is not kept, or a store error.
    func subtreeRoot(level: Int, index: UInt64) throws(AuditError) -> MerkleHash
}
