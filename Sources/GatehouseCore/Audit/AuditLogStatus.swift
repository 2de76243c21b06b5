/// The decision log's counters, as `GET /v1/status` and `/metrics` show them.
///
/// `dropped` is never zero by accident: every record offered and not written (gap policy, a
/// failed batch) counts, since the writer started.
package struct AuditLogStatus: Sendable, Hashable {
    /// Records waiting to be written.
    package var queued: Int
    /// Records offered but never written, since start.
    package var dropped: UInt64
    /// Records refused under strict auditing (their checks denied `audit_unavailable`), since start.
    package var refused: UInt64
    /// Records in the instance's log (its Merkle tree size).
    package var written: UInt64
    /// Why the store cannot write right now, `nil` when it can.
    package var failure: String?
    /// Retention prunes that failed, since start (each is retried at the next timed checkpoint;
    /// until one succeeds the log is longer than its limits, never broken).
    package var pruneFailures: UInt64
    /// Why the latest prune failed, `nil` when it succeeded (or none was due).
    package var pruneFailure: String?

    package init(
        queued: Int, dropped: UInt64, refused: UInt64, written: UInt64, failure: String? = nil,
        pruneFailures: UInt64 = 0, pruneFailure: String? = nil
    ) {
        self.queued = queued
        self.dropped = dropped
        self.refused = refused
        self.written = written
        self.failure = failure
        self.pruneFailures = pruneFailures
        self.pruneFailure = pruneFailure
    }
}
