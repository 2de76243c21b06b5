import Dispatch
import GatehouseCore
import Synchronization

/// The bounded queue between the check path and the writer thread.
///
/// `offer` takes one short lock and never waits: it appends, or it counts the record as lost
/// (`gap`) or refuses it (`strict`) when the queue is at capacity or the store is failing. The
/// writer takes everything pending at once (an O(1) swap) and keeps it counted against the
/// capacity until written, so memory stays bounded by `capacity` records.
///
/// The two buffers take turns: the writer hands the one it drained back (``recycle(_:)``), emptied
/// with its capacity kept, and the next ``take()`` gives it to the offers. So neither side
/// allocates per flush: a fresh buffer reserved for 4,096 records (1.5 MB) in every `take` was a
/// large allocation under the lock and new pages faulted in by the event loops' appends.
final class AuditQueue: Sendable {
    /// What the lock guards.
    struct State {
        /// Records offered and not yet taken by the writer, oldest first.
        var pending: [AuditRecord] = []
        /// An empty buffer with capacity, handed back by the writer, which `pending` becomes at the next take.
        var spare: [AuditRecord] = []
        /// Records the writer has taken and not yet committed.
        var inFlight = 0
        /// Why the store cannot write right now (nil when it can): offers are dropped or refused meanwhile.
        var failure: String?
        /// Records lost since the last gap record was written.
        var gap: AuditGapTally?
        /// Records lost since the queue was made (never reset).
        var dropped: UInt64 = 0
        /// Records refused under strict auditing since the queue was made.
        var refused: UInt64 = 0
        /// Set by shutdown: later offers are lost (gap) or refused (strict).
        var closed = false
    }

    let capacity: Int
    let batchSize: Int
    let onFull: AuditSettings.OnFull
    private let state = Mutex(State())
    /// Signalled when a batch's worth is pending, or on shutdown, to wake the writer before its interval ends.
    let wake = DispatchSemaphore(value: 0)

    init(capacity: Int, batchSize: Int, onFull: AuditSettings.OnFull) {
        self.capacity = max(1, capacity)
        self.batchSize = max(1, batchSize)
        self.onFull = onFull
    }

    /// Queues `record` if there is room and the store works; otherwise counts or refuses it.
    func offer(_ record: AuditRecord) -> AuditAdmission {
        let (admission, signal) = self.state.withLock { state -> (AuditAdmission, Bool) in
            if state.failure == nil, !state.closed, state.pending.count + state.inFlight < self.capacity {
                state.pending.append(record)
                return (.accepted, state.pending.count == self.batchSize)
            }
            switch self.onFull {
            case .gap:
                let cause = state.closed ? "shutdown" : state.failure ?? "queue_full"
                state.dropped += 1
                state.gap.record(record.time, count: 1, cause: cause)
                return (.dropped, false)
            case .strict:
                state.refused += 1
                return (.refused, false)
            }
        }
        if signal { self.wake.signal() }
        return admission
    }

    /// Takes every pending record for writing; they stay counted against the capacity until ``written(_:)``.
    ///
    /// Hand the buffer back with ``recycle(_:)`` once its records are written or counted lost.
    func take() -> [AuditRecord] {
        self.state.withLock { state in
            var taken: [AuditRecord] = []
            swap(&taken, &state.spare)
            swap(&taken, &state.pending)
            state.inFlight += taken.count
            return taken
        }
    }

    /// Buffers larger than this are not kept for reuse (a backlog's buffer is let go once drained).
    static let recycledCapacity = 16_384

    /// Takes back a buffer from ``take()`` as the next one offers fill: emptied here, on the
    /// caller's thread (its records released outside the lock), its capacity kept.
    func recycle(_ buffer: consuming [AuditRecord]) {
        guard buffer.capacity <= Self.recycledCapacity else { return }
        var buffer = buffer
        buffer.removeAll(keepingCapacity: true)
        self.state.withLock { state in
            if state.spare.capacity < buffer.capacity { swap(&state.spare, &buffer) }
        }
    }

    /// `count` taken records were committed (or lost): their room is free again.
    func written(_ count: Int) {
        self.state.withLock { $0.inFlight -= count }
    }

    /// Taken records could not be written: count them into the next gap record (both policies:
    /// they were accepted, so only a gap record can account for them).
    func lost(_ records: some Collection<AuditRecord>, cause: String) {
        guard let first = records.first else { return }
        let last = records.reduce(first.time) { max($0, $1.time) }
        let earliest = records.reduce(first.time) { min($0, $1.time) }
        self.state.withLock { state in
            state.inFlight -= records.count
            state.dropped += UInt64(records.count)
            state.gap.record(earliest, count: 0, cause: cause)
            state.gap.record(last, count: UInt64(records.count), cause: cause)
        }
    }

    /// Marks the store failing (`cause`) or working again (nil).
    func setFailure(_ cause: String?) {
        self.state.withLock { $0.failure = cause }
    }

    /// Takes the pending gap tally, to be written as a gap record.
    func takeGap() -> AuditGapTally? {
        self.state.withLock { state in
            defer { state.gap = nil }
            return state.gap
        }
    }

    /// Puts back a gap tally whose record could not be written, merged with what was lost meanwhile.
    func restoreGap(_ tally: AuditGapTally) {
        self.state.withLock { state in state.gap = tally.merged(with: state.gap) }
    }

    /// Refuses every later offer; the writer drains what is pending.
    func close() {
        self.state.withLock { $0.closed = true }
        self.wake.signal()
    }

    /// Whether shutdown has begun.
    var isClosed: Bool { self.state.withLock { $0.closed } }

    /// A consistent reading of the counters.
    var counters: Counters {
        self.state.withLock { state in
            Counters(
                pending: state.pending.count + state.inFlight, dropped: state.dropped, refused: state.refused,
                failure: state.failure, unrecordedGap: state.gap?.count ?? 0
            )
        }
    }

    /// The queue's counters at one moment.
    struct Counters {
        var pending: Int
        var dropped: UInt64
        var refused: UInt64
        var failure: String?
        var unrecordedGap: UInt64
    }
}
