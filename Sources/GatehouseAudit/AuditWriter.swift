import Dispatch
import Foundation
package import GatehouseCore
import Synchronization

/// The decision log's writer: Core's ``AuditSink`` over a bounded queue, drained by a thread of
/// its own into the store in batches, each record appended to the instance's Merkle tree as it is
/// written, with signed checkpoints every N records or T seconds (also when idle) and at shutdown.
///
/// `offer` never blocks. The thread is not one of the cooperative pool's: SQLite's writes block.
///
/// ```swift
/// let writer = try AuditWriter(store: store, instance: "gh-1", signer: signer, settings: .defaults)
/// writer.start()
/// _ = writer.offer(record)     // .accepted, .dropped (gap) or .refused (strict)
/// writer.shutdown()            // drains the queue, signs a final checkpoint
/// ```
package final class AuditWriter: AuditSink {
    /// The store written to.
    package let store: any AuditLogStore
    /// This writer's instance id (its tree's name).
    package let instance: String
    /// The settings it runs with.
    package let settings: AuditSettings
    let queue: AuditQueue
    private let signer: AuditCheckpointSigner
    let now: @Sendable () -> UnixTime
    /// Touched only by the thread draining the queue (or a test's ``flush()``); the lock is uncontended.
    private let tree: Mutex<TreeState>
    private let finished = DispatchSemaphore(value: 0)
    /// Failed retention prunes since start, and the latest one's cause (nil after a success).
    let pruning = Mutex<(failures: UInt64, cause: String?)>((0, nil))
    private let started = Atomic<Bool>(false)
    /// The instance's key watermark, when keys were last built, and the keys of unkeyed records.
    let keys: Mutex<KeyState>

    /// The writer's side of the log: the tree and when the last checkpoint was signed.
    struct TreeState {
        var appender: MerkleAppender
        var checkpointSize: UInt64
        var checkpointTime: UnixTime
        /// When retention last ran (or the writer started). Its own clock, not `checkpointTime`:
        /// under load the every-`checkpointEvery` checkpoints keep moving that one, and a prune
        /// tied to it would never come due.
        var pruneTime: UnixTime
    }

    /// A writer for `instance` appending to `store` (resuming the instance's tree there).
    ///
    /// - Parameters:
    ///   - now: the clock for record-free decisions (checkpoint times and intervals); injected by tests.
    /// - Throws: ``AuditError`` (`store_corrupt`) when the stored tree does not match its latest
    ///   checkpoint, or (`store_failed`, `node_missing`) when it cannot be read.
    package init(
        store: any AuditLogStore, instance: String, signer: AuditCheckpointSigner, settings: AuditSettings = .defaults,
        now: @escaping @Sendable () -> UnixTime = AuditWriter.systemNow
    ) throws {
        self.store = store
        self.instance = instance
        self.settings = settings
        self.signer = signer
        self.now = now
        self.queue = AuditQueue(
            capacity: settings.queueCapacity, batchSize: settings.batchSize, onFull: settings.onFull)
        let appender = try store.resumeAppender(of: instance)
        let latest = try store.latestCheckpoint(of: instance)
        self.keys = Mutex(KeyState(keyed: try store.keyedSize(of: instance), built: now()))
        let checkpointTime = latest.flatMap { AuditLeafTime.parse(Array($0.time.utf8)) } ?? now()
        self.tree = Mutex(
            TreeState(
                appender: appender, checkpointSize: latest?.size ?? 0, checkpointTime: checkpointTime,
                pruneTime: checkpointTime
            )
        )
    }

    /// The wall clock as a ``UnixTime``.
    package static let systemNow: @Sendable () -> UnixTime = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UnixTime(seconds: Int64(spec.tv_sec), nanoseconds: Int32(spec.tv_nsec))
    }

    /// How many records the instance's tree holds.
    package var treeSize: UInt64 { self.tree.withLock { $0.appender.size } }

    package func offer(_ record: AuditRecord) -> AuditAdmission {
        self.queue.offer(record)
    }

    /// Starts the writer thread (once): it writes every `flushInterval`, or sooner when a batch is pending.
    package func start() {
        guard !self.started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // The thread keeps the default priority (its class is SCHED_BATCH, below): at nice 5 (254dc89)
        // a saturated server starved it and its queue overflowed into gap records
        // (Tests/Benchmarks/README.md, decision log).
        let thread = Thread { [self] in
            Self.yieldOnWakeUp()
            self.runLoop()
            self.finished.signal()
        }
        thread.name = "gatehouse-audit-writer"
        thread.start()
    }

    /// Puts the calling thread (the writer's) in Linux's `SCHED_BATCH` class: the same share of the
    /// CPU as any thread at its nice level (so a saturated server does not starve it, as nice 5
    /// did), but its wake-ups do not preempt the thread running, an event loop answering a check;
    /// it runs at that thread's next scheduling point. Every flush is a wake-up followed by
    /// milliseconds of encoding, hashing and SQLite work, which on two cores could otherwise land in
    /// the middle of a check (a suspect for the log's p99 cost; Tests/Benchmarks/README.md). A
    /// failure (a platform without the class) leaves the default policy; nothing depends on it.
    private static func yieldOnWakeUp() {
        #if os(Linux)
            // SCHED_BATCH from <linux/sched.h>: Glibc declares it only under _GNU_SOURCE, so Swift does not see it.
            let batchPolicy: Int32 = 3
            var parameters = sched_param(sched_priority: 0)
            _ = sched_setscheduler(0, batchPolicy, &parameters)
        #endif
    }

    /// Stops accepting records, writes everything queued, signs a final checkpoint, and returns
    /// when done. Blocks the calling thread for as long as the drain takes.
    package func shutdown() {
        self.queue.close()
        if self.started.load(ordering: .acquiring) {
            self.finished.wait()
        } else {
            self.flush()
            self.checkpoint(force: true)
            self.buildKeys(all: true)
        }
    }

    private func runLoop() {
        let interval = self.settings.flushInterval.components
        let nanoseconds = Int(interval.seconds) * 1_000_000_000 + Int(interval.attoseconds / 1_000_000_000)
        // Flushes start on a fixed cadence (one interval after the previous one started), not one
        // interval after the previous one ended: a record waits at most an interval plus the write
        // in progress when it came, which is the kill -9 window AUDIT.md documents.
        var deadline = DispatchTime.now()
        while true {
            deadline = max(deadline + .nanoseconds(max(1_000_000, nanoseconds)), .now())
            _ = self.queue.wake.wait(timeout: deadline)
            deadline = .now()
            self.flush()
            if self.queue.isClosed, self.queue.counters.pending == 0 {
                self.checkpoint(force: true)
                self.buildKeys(all: true)
                return
            }
        }
    }

    /// Writes everything queued now (a pending gap record first), then a checkpoint if one is due.
    ///
    /// The writer thread calls it every flush interval; tests call it directly (without ``start()``)
    /// to step the writer deterministically.
    package func flush() {
        if let gap = self.queue.takeGap() {
            var generator = SystemRandomNumberGenerator()
            let time = self.now()
            let id = DecisionID.make(at: time, entropy: (generator.next(), generator.next()))
            let record = AuditRecord(id: id, time: time, entry: .gap(gap.entry))
            guard self.write([record], gap: gap) else { return }
        } else if self.queue.counters.failure != nil {
            // Failing with nothing to report: probe with a checkpoint; success lifts the failure.
            guard self.checkpoint(force: true) else { return }
        }
        // Batches by index, so that no slice outlives its write and the buffer goes back unshared.
        let taken = self.queue.take()
        var start = taken.startIndex
        while start < taken.endIndex {
            let end = min(start + self.settings.batchSize, taken.endIndex)
            guard self.write(taken[start..<end], gap: nil) else {
                self.queue.lost(taken[end...], cause: self.queue.counters.failure ?? "store_failed")
                self.queue.recycle(taken)
                return
            }
            start = end
        }
        self.queue.recycle(taken)
        self.checkpoint(force: false)
        self.buildKeys(all: false)
    }

    /// Appends `records` in one transaction; on failure counts them into the gap and marks the store failing.
    private func write(_ records: some Collection<AuditRecord>, gap: AuditGapTally?) -> Bool {
        var state = self.tree.withLock { $0 }
        var batch = AuditBatch(instance: self.instance, firstSeq: state.appender.size)
        batch.bodies.reserveCapacity(records.count)
        var keyRows: [AuditKeyRow] = []
        keyRows.reserveCapacity(records.count)
        for record in records {
            keyRows.append(AuditKeyRow(record, seq: state.appender.size))
            let body = AuditLeaf.encode(record, instance: self.instance, sequence: state.appender.size)
            state.appender.append(Merkle.leafHash(body)) { node in
                if node.level >= AuditStore.storedNodeHeight {
                    batch.nodes.append(AuditStoredNode(level: node.level, index: node.index, hash: node.hash.bytes))
                }
            }
            batch.bodies.append(body)
        }
        if state.appender.size - state.checkpointSize >= self.settings.checkpointEvery {
            batch.checkpoint = self.sign(&state)
        }
        do {
            try self.store.appendUnwrapped(batch)
        } catch {
            let cause = self.store.failureCause(error)
            self.queue.setFailure(cause)
            if let gap { self.queue.restoreGap(gap) }
            // A gap record's own loss is already in the tally it came from.
            if gap == nil { self.queue.lost(records, cause: cause) }
            return false
        }
        self.tree.withLock { $0 = state }
        self.keys.withLock { $0.add(keyRows) }
        if gap == nil { self.queue.written(records.count) }
        self.queue.setFailure(nil)
        return true
    }

    /// Signs and stores a checkpoint when `force`d or when the interval has passed, and prunes
    /// when the interval has passed since the last prune; false if the store failed.
    @discardableResult
    private func checkpoint(force: Bool) -> Bool {
        var state = self.tree.withLock { $0 }
        let now = self.now().nanosecondsSinceEpoch
        let components = self.settings.checkpointInterval.components
        let interval = components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
        let due = now - state.checkpointTime.nanosecondsSinceEpoch >= interval
        let pruneDue =
            !force && self.settings.retention != nil && now - state.pruneTime.nanosecondsSinceEpoch >= interval
        guard force || due || pruneDue else { return true }
        if force || due {
            let checkpoint = self.sign(&state)
            do {
                try self.store.appendUnwrapped(
                    AuditBatch(instance: self.instance, firstSeq: state.appender.size, checkpoint: checkpoint)
                )
            } catch {
                self.queue.setFailure(self.store.failureCause(error))
                return false
            }
            self.queue.setFailure(nil)
        }
        if pruneDue { state.pruneTime = self.now() }
        self.tree.withLock { $0 = state }
        if pruneDue, let policy = self.settings.retention {
            // Pruning is due once an interval, whatever signed the checkpoints in between; a failure
            // leaves the log longer, not broken, and is retried at the next one. It is counted and
            // its cause kept for /v1/status and /metrics.
            do {
                _ = try AuditRetention.prune(
                    self.store, instance: self.instance, policy: policy, signer: self.signer, now: self.now()
                )
                self.pruning.withLock { $0.cause = nil }
            } catch {
                let cause = self.store.failureCause(error)
                self.pruning.withLock { $0 = ($0.failures + 1, cause) }
            }
        }
        return true
    }

    private func sign(_ state: inout TreeState) -> StoredCheckpoint {
        let time = self.now()
        let note = self.signer.sign(state.appender.size, state.appender.root, time)
        state.checkpointSize = state.appender.size
        state.checkpointTime = time
        return StoredCheckpoint(
            instance: self.instance, size: state.appender.size, time: AuditLeafTime.format(time), note: note
        )
    }
}
