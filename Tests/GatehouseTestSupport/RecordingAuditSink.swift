package import GatehouseCore
package import Synchronization

/// An ``AuditSink`` that keeps every record it is offered and answers with a chosen admission.
package final class RecordingAuditSink: AuditSink {
    /// Every record offered so far, in order.
    package let records = Mutex<[AuditRecord]>([])
    /// What ``offer(_:)`` answers; tests change it to simulate a full or failing log.
    package let admission: Mutex<AuditAdmission>

    package init(answering admission: AuditAdmission = .accepted) {
        self.admission = Mutex(admission)
    }

    package func offer(_ record: AuditRecord) -> AuditAdmission {
        self.records.withLock { $0.append(record) }
        return self.admission.withLock { $0 }
    }

    /// The decision entries offered so far, in order.
    package var decisions: [DecisionEntry] {
        self.records.withLock { records in
            records.compactMap { record in
                guard case .decision(let entry) = record.entry else { return nil }
                return entry
            }
        }
    }

    /// The admin entries offered so far, in order.
    package var adminActions: [AdminEntry] {
        self.records.withLock { records in
            records.compactMap { record in
                guard case .admin(let entry) = record.entry else { return nil }
                return entry
            }
        }
    }
}
