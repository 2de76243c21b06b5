package import GatehouseCore

/// The query keys of one written record, as the writer has them: what the key tables hold for it
/// (``AuditStoreKeys``), so that a key step need not parse the record's JSON to find them.
///
/// They are the values of the body's top-level `time`, `id`, `subject`, `spiffe_id` and
/// `xroad_client` keys, which is what the store's derived columns read (a shadow record's caller
/// is nested under `active`, so its caller fields are nil, as the columns are).
package struct AuditKeyRow: Sendable, Equatable {
    /// The record's sequence number in its instance's tree.
    package var seq: UInt64
    /// The record's time (the body's `time`).
    package var time: UnixTime
    /// The record's id.
    package var id: String
    /// The JWT subject of a decision record.
    package var subject: String?
    /// The SPIFFE ID of a decision record.
    package var spiffeID: String?
    /// The X-Road client of a decision record.
    package var xroadClient: String?

    /// The keys of `record` written at `seq`.
    package init(_ record: AuditRecord, seq: UInt64) {
        self.seq = seq
        self.time = record.time
        self.id = record.id
        if case .decision(let entry) = record.entry {
            self.subject = entry.caller.subject
            self.spiffeID = entry.caller.spiffeID
            self.xroadClient = entry.caller.xroadClient
        }
    }

    /// The caller key's fields (nil when the record names none of them).
    var caller: AuditCaller? {
        AuditCaller(subject: self.subject, spiffeID: self.spiffeID, xroadClient: self.xroadClient)
    }

    /// The value of key column `column` (``AuditStoreKeys/Table/column``; nil is the time table's).
    func value(of column: String?) -> String? {
        switch column {
        case "id": self.id
        case "subject": self.subject
        case "spiffe_id": self.spiffeID
        case "xroad_client": self.xroadClient
        default: nil
        }
    }
}
