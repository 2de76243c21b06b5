import Synchronization

extension AuditWriter {
    /// What the writer reports to `/v1/status` and the metrics.
    package struct Status: Sendable, Equatable {
        /// Records queued or being written.
        package var queued: Int
        /// Records offered but never written (gap policy, or lost with a failed batch), since start.
        package var dropped: UInt64
        /// Records refused under strict auditing (their requests denied `audit_unavailable`), since start.
        package var refused: UInt64
        /// Why the store cannot write right now (`store_failed: SQLITE_FULL`, …), nil when it can.
        package var failure: String?
        /// The instance's tree size (records written).
        package var treeSize: UInt64
        /// Retention prunes that failed since start (each retried a checkpoint interval later).
        package var pruneFailures: UInt64 = 0
        /// Why the latest prune failed, nil when it succeeded or none was due.
        package var pruneFailure: String?
    }

    /// The writer's counters now.
    package var status: Status {
        let counters = self.queue.counters
        let pruning = self.pruning.withLock { $0 }
        return Status(
            queued: counters.pending, dropped: counters.dropped, refused: counters.refused,
            failure: counters.failure, treeSize: self.treeSize, pruneFailures: pruning.failures,
            pruneFailure: pruning.cause
        )
    }
}
