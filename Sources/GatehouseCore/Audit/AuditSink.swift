/// Where records go: the decision log's bounded queue (GatehouseAudit's writer).
///
/// The front door offers one record per check before it answers, so the call must never block
/// or wait for I/O; the writer batches them off the hot path.
package protocol AuditSink: Sendable {
    /// Offers one record to the log.
    ///
    /// - Returns: ``AuditAdmission/accepted`` when queued; ``AuditAdmission/dropped`` when it
    ///   could not be queued and was counted into a gap record (`onFull: gap`);
    ///   ``AuditAdmission/refused`` when strict auditing is on and the log cannot take it: the
    ///   caller must then deny the request with ``DecisionReason/auditUnavailable``.
    func offer(_ record: AuditRecord) -> AuditAdmission
}

/// What happened to an offered record.
package enum AuditAdmission: Sendable, Equatable {
    /// Queued for writing.
    case accepted
    /// Not queued; counted, and recorded later as a gap (`onFull: gap`).
    case dropped
    /// Not queued and strict auditing is on: deny the request (`audit_unavailable`).
    case refused
}
