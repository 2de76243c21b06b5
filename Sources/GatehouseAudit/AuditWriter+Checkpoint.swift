package import GatehouseCore

/// Makes the writer's signed checkpoints: the C2SP `tlog-checkpoint` note (origin, size, base64
/// root, then the instance key's signature line) over a tree size and root at a time.
///
/// A value wrapping the signing function, so the writer needs nothing of the key or the note
/// format: `gatehouse serve` builds it from the instance's ``AuditSigningKey`` and the checkpoint
/// code; tests pass a fixed one.
package struct AuditCheckpointSigner: Sendable {
    /// The note text for (size, root, time); its third line must be the base64 root.
    package let sign: @Sendable (_ size: UInt64, _ root: MerkleHash, _ time: UnixTime) -> String

    package init(_ sign: @escaping @Sendable (_ size: UInt64, _ root: MerkleHash, _ time: UnixTime) -> String) {
        self.sign = sign
    }
}
