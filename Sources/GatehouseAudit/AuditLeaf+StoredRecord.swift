package import GatehouseCore

/// A record as the log holds it: its place (writer instance, leaf index) and its content.
package struct StoredRecord: Sendable, Equatable {
    /// The writer instance whose tree holds the record.
    package var instance: String
    /// The record's leaf index in that tree, from 0.
    package var sequence: UInt64
    /// What was recorded.
    package var record: AuditRecord

    package init(instance: String, sequence: UInt64, record: AuditRecord) {
        self.instance = instance
        self.sequence = sequence
        self.record = record
    }
}
