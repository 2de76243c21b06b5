package import GatehouseCore

/// How much of the log to keep: records older than `maxAge`, or beyond `maxBytes` of record
/// bodies per store, are pruned oldest first (after a signed anchor marks where the kept log begins).
package struct AuditRetentionPolicy: Sendable, Equatable {
    /// Records older than this are pruned; nil keeps any age.
    package var maxAge: Duration?
    /// The bodies kept, in bytes, at most (oldest pruned first); nil keeps any size.
    package var maxBytes: Int64?

    package init(maxAge: Duration? = nil, maxBytes: Int64? = nil) {
        self.maxAge = maxAge
        self.maxBytes = maxBytes
    }
}

/// Prunes an instance's oldest records under an ``AuditRetentionPolicy``, keeping the rest verifiable.
///
/// The prune point is rounded down to a multiple of 256 leaves: every perfect subtree a proof of a
/// kept record needs is then either wholly kept or one of the stored nodes (height 8 and up, never
/// pruned), and the tree's frontier at the prune point is made of stored nodes only. Before any
/// record is deleted, a retention anchor is written in the same transaction: a checkpoint signed
/// at the prune point and that frontier, from which `audit verify` continues.
package enum AuditRetention {
    /// Prunes `instance` in `store` as `policy` asks at time `now`; returns the new first kept
    /// sequence number, or nil when nothing was pruned.
    ///
    /// - Throws: ``AuditError`` (`store_failed`, `node_missing`).
    @discardableResult
    package static func prune(
        _ store: any AuditLogStore, instance: String, policy: AuditRetentionPolicy, signer: AuditCheckpointSigner,
        now: UnixTime
    ) throws -> UInt64? {
        let size = try store.treeSize(of: instance)
        let first = try store.firstRetainedSeq(of: instance)
        var target = first
        if let maxAge = policy.maxAge {
            let cutoff = UnixTime(seconds: now.seconds - maxAge.components.seconds, nanoseconds: now.nanoseconds)
            target = max(target, try store.firstSeq(of: instance, atOrAfter: AuditLeafTime.format(cutoff)) ?? size)
        }
        if let maxBytes = policy.maxBytes {
            target = max(target, try store.firstSeq(of: instance, keepingBytes: maxBytes) ?? first)
        }
        let point = target / 256 * 256
        guard point > first else { return nil }
        let frontier = try store.frontier(of: instance, size: point)
        let root = try MerkleAppender(size: point, frontier: frontier).root
        let note = signer.sign(point, root, now)
        try store.prune(instance: instance, below: point, anchorNote: note, frontier: frontier)
        return point
    }
}
