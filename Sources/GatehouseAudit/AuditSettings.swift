/// How the decision-log writer queues, batches, checkpoints and prunes (the `audit.*` settings).
///
/// `gatehouse serve` builds it from its configuration; the defaults suit one server writing a
/// few thousand decisions per second to a local disk.
package struct AuditSettings: Sendable, Equatable {
    /// What `offer` does when a record cannot be queued (queue full, or the store failing).
    package enum OnFull: String, Sendable, Hashable, CaseIterable {
        /// Keep serving; count the lost records and, once writing works again, write a gap record
        /// (how many, from when to when, why).
        case gap
        /// Refuse the record: the front door denies the request with `audit_unavailable` until
        /// the log accepts again.
        case strict
    }

    /// Records the queue holds at most (pending and being written). Default 65,536.
    package var queueCapacity: Int
    /// Records written per transaction at most; the writer also wakes as soon as this many are
    /// waiting. Default 16,384: each commit writes every index page it dirtied, so a writer that
    /// has fallen behind catches up fastest in large transactions (1.5x the records/s of 4,096).
    package var batchSize: Int
    /// How long a record waits in the queue at most before it is written. Default 100 ms; with
    /// one batch's write time it bounds what a `kill -9` loses.
    package var flushInterval: Duration
    /// The policy when a record cannot be queued. Default `gap`.
    package var onFull: OnFull
    /// A checkpoint is signed after this many new records. Default 10,000.
    package var checkpointEvery: UInt64
    /// A checkpoint is signed at least this often, also when idle. Default 10 s.
    package var checkpointInterval: Duration
    /// Pruning limits; nil keeps everything.
    package var retention: AuditRetentionPolicy?

    package init(
        queueCapacity: Int = 65_536, batchSize: Int = 16_384, flushInterval: Duration = .milliseconds(100),
        onFull: OnFull = .gap, checkpointEvery: UInt64 = 10_000, checkpointInterval: Duration = .seconds(10),
        retention: AuditRetentionPolicy? = nil
    ) {
        self.queueCapacity = queueCapacity
        self.batchSize = batchSize
        self.flushInterval = flushInterval
        self.onFull = onFull
        self.checkpointEvery = checkpointEvery
        self.checkpointInterval = checkpointInterval
        self.retention = retention
    }

    /// Every default.
    package static var defaults: AuditSettings { AuditSettings() }
}
