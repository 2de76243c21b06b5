package import GatehouseCore
import GatehouseGRPC

/// Turns every reload attempt of the pipeline into an activation record of the decision log.
package enum ActivationRecords {
    /// `onOutcome`, after offering the outcome to `audit` as an ``GatehouseCore/ActivationEntry``.
    ///
    /// Every attempt is a record: an activation (`activated`), a source that held the active
    /// revision already (`unchanged`), and a refusal (its error code, with the stage and message
    /// as detail). The reloader keeps serving whatever the log answers.
    ///
    /// - Parameters:
    ///   - source: Where the server loads revisions from, for attempts that name none.
    ///   - clock: Now, for attempts that carry no time of their own.
    package static func recording(
        to audit: (any AuditSink)?, source: String, clock: @escaping @Sendable () -> UnixTime,
        then onOutcome: @escaping @Sendable (ReloadOutcome, ReloadRequest, Duration) -> Void
    ) -> @Sendable (ReloadOutcome, ReloadRequest, Duration) -> Void {
        guard let audit else { return onOutcome }
        return { outcome, request, duration in
            _ = audit.offer(Self.record(outcome, request: request, duration: duration, source: source, now: clock()))
            onOutcome(outcome, request, duration)
        }
    }

    /// The record of one attempt.
    package static func record(
        _ outcome: ReloadOutcome, request: ReloadRequest, duration: Duration, source: String, now: UnixTime
    ) -> AuditRecord {
        let milliseconds =
            UInt64(max(0, duration.components.seconds)) * 1000
            + UInt64(max(0, duration.components.attoseconds) / 1_000_000_000_000_000)
        let entry: ActivationEntry
        let time: UnixTime
        switch outcome {
        case .activated(let activation):
            time = activation.activatedAt
            entry = ActivationEntry(
                revision: activation.revision, source: activation.source, trigger: request.trigger.rawValue,
                actor: request.requestedBy, outcome: "activated", durationMilliseconds: milliseconds)
        case .unchanged(let revision):
            time = now
            entry = ActivationEntry(
                revision: revision, source: source, trigger: request.trigger.rawValue, actor: request.requestedBy,
                outcome: "unchanged", durationMilliseconds: milliseconds)
        case .refused(let failure):
            time = failure.at
            entry = ActivationEntry(
                revision: request.expectedRevision, source: failure.source, trigger: request.trigger.rawValue,
                actor: request.requestedBy, outcome: failure.code, durationMilliseconds: milliseconds,
                detail: "\(failure.stage.rawValue): \(failure.message)")
        }
        return AuditRecord(id: DecisionID.make(), time: time, entry: .activation(entry))
    }
}
