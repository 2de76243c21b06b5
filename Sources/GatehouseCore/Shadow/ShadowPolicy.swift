import Synchronization

/// A candidate policy tree evaluated beside the active one on live traffic, never enforced.
///
/// The ``Authorizer`` hands it every decision it computes, with the request and the identity
/// already verified for it, after the decision is final; the candidate is evaluated on a task of
/// its own, off the check's path, through a bounded buffer (when the buffer is full the check
/// is not shadowed and ``ShadowStatus/skipped`` counts it). A cache hit computes nothing and so
/// is not shadowed again: each cached decision is compared once, when it is computed. Where the
/// candidate decides differently (``DecisionChange``), a `shadow` record goes to the decision
/// log and a counter by candidate rule and change goes up — rule names come from the
/// candidate's policies, so the counters are bounded.
package final class ShadowPolicy: Sendable {
    /// The candidate's compiled rules.
    package let tree: DecisionTree
    /// When it was loaded.
    package let loadedAt: UnixTime
    /// Who loaded it (the admin caller's name), if known.
    package let loadedBy: String?
    private let sink: (any AuditSink)?
    private let newRecordID: @Sendable () -> String
    private let counts: Mutex<ShadowStatus.Counts>
    private let work: AsyncStream<ShadowWork>.Continuation

    /// Loads `tree` in shadow and starts its evaluation task; ``stop()`` ends it.
    ///
    /// - Parameters:
    ///   - sink: Where differing decisions are recorded (`nil`: counted only).
    ///   - newRecordID: A new record id (32 hex digits, like a decision id); Core draws no random numbers itself.
    ///   - capacity: How many checks may wait for evaluation before further ones are skipped.
    package init(
        tree: DecisionTree, loadedAt: UnixTime, loadedBy: String? = nil, sink: (any AuditSink)?,
        newRecordID: @escaping @Sendable () -> String, capacity: Int = 4096
    ) {
        self.newRecordID = newRecordID
        self.tree = tree
        self.loadedAt = loadedAt
        self.loadedBy = loadedBy
        self.sink = sink
        self.counts = Mutex(ShadowStatus.Counts())
        let (stream, continuation) = AsyncStream.makeStream(
            of: ShadowWork.self, bufferingPolicy: .bufferingOldest(max(1, capacity)))
        self.work = continuation
        Task.detached(priority: .utility) { [self] in
            for await item in stream { self.compare(item) }
        }
    }

    /// Queues one decided check for comparison; never waits.
    package func observe(_ request: AuthzRequest, identity: Identity, active: Decision) {
        switch self.work.yield(ShadowWork(request: request, identity: identity, active: active)) {
        case .enqueued: break
        case .dropped, .terminated: self.counts.withLock { $0.skipped += 1 }
        @unknown default: self.counts.withLock { $0.skipped += 1 }
        }
    }

    /// Stops taking checks; those queued are still compared.
    package func stop() { self.work.finish() }

    /// The candidate's counters.
    package var status: ShadowStatus {
        ShadowStatus(
            revision: self.tree.revision, loadedAt: self.loadedAt, loadedBy: self.loadedBy,
            counts: self.counts.withLock { $0 })
    }

    /// Evaluates the candidate on one check and records a difference; `internal` for tests' sake.
    func compare(_ item: ShadowWork) {
        let candidate = self.tree.evaluate(item.request, identity: item.identity)
        guard let change = DecisionChange.between(item.active, candidate) else {
            self.counts.withLock { $0.evaluated += 1 }
            return
        }
        self.counts.withLock { counts in
            counts.evaluated += 1
            counts.differing += 1
            counts.byRule[ShadowStatus.Key(rule: candidate.rule, change: change), default: 0] += 1
        }
        guard let sink = self.sink else { return }
        let entry = ShadowEntry(
            active: DecisionEntry(item.active, request: item.request), candidateRevision: self.tree.revision,
            candidateDecision: candidate.outcome, candidateReason: candidate.reason.code,
            candidateRule: candidate.rule)
        let record = AuditRecord(id: self.newRecordID(), time: item.request.time, entry: .shadow(entry))
        if sink.offer(record) != .accepted { self.counts.withLock { $0.unrecorded += 1 } }
    }
}

/// One decided check waiting for the candidate.
struct ShadowWork: Sendable {
    var request: AuthzRequest
    var identity: Identity
    var active: Decision
}
