package import GatehouseCore

/// The store's name for Core's ``DecisionLogQuery``: what an auditor asks the log for.
package typealias AuditQuery = DecisionLogQuery

extension DecisionLogQuery {
    /// The text filters as (column, value), in a fixed order.
    package var textFilters: [(column: String, value: String)] {
        let filters: [(String, String?)] = [
            ("kind", self.kind), ("decision", self.decision), ("reason", self.reason), ("subject", self.subject),
            ("spiffe_id", self.spiffeID), ("xroad_client", self.xroadClient), ("host", self.host),
            ("path", self.path), ("policy_revision", self.policyRevision), ("rule", self.rule), ("id", self.id),
            ("instance", self.instance),
        ]
        return filters.compactMap { column, value in value.map { (column, $0) } }
    }
}

/// One record a query found: where it sits in the log and its canonical body.
package struct AuditQueryRow: Sendable, Equatable {
    /// The writer instance.
    package var instance: String
    /// Its sequence number (leaf index) in that instance's tree.
    package var seq: UInt64
    /// Its time, in the log's fixed-width form.
    package var time: String
    /// The canonical JSON leaf, exactly as stored and hashed.
    package var body: String

    package init(instance: String, seq: UInt64, time: String, body: String) {
        self.instance = instance
        self.seq = seq
        self.time = time
        self.body = body
    }

    /// The cursor that continues a query after this row.
    package var cursor: AuditCursor { AuditCursor(time: self.time, instance: self.instance, seq: self.seq) }
}

/// One page of results and the cursor for the next (nil when this was the last page).
package struct AuditQueryPage: Sendable, Equatable {
    /// The rows, in log order.
    package var rows: [AuditQueryRow]
    /// Where the next page starts; nil when no more rows match.
    package var next: AuditCursor?

    package init(rows: [AuditQueryRow], next: AuditCursor?) {
        self.rows = rows
        self.next = next
    }
}
