package import GatehouseCore

/// What an auditor asks the log for: every filter set must match (AND); nil filters match all.
///
/// Text filters match exactly, or as a pattern when they contain `*` (any run of characters,
/// including `/`; case-sensitive): `xroadClient: "EE/GOV/*"`, `path: "/births/*"`. Results come
/// in log order, (time, instance, sequence number), one page at a time with an opaque cursor.
package struct AuditQuery: Sendable, Equatable {
    /// Records at or after this time.
    package var since: UnixTime?
    /// Records before this time.
    package var until: UnixTime?
    /// `decision`, `admin`, `activation`, `gap` or `shadow`.
    package var kind: String?
    /// `allow` or `deny`.
    package var decision: String?
    /// A reason code (`jwt_expired`, `rule_denied`, …).
    package var reason: String?
    /// The verified JWT's subject.
    package var subject: String?
    /// The verified client certificate's SPIFFE ID.
    package var spiffeID: String?
    /// The X-Road client, `INSTANCE/CLASS/MEMBER[/SUBSYSTEM]`.
    package var xroadClient: String?
    /// The request's host.
    package var host: String?
    /// The normalized path (query values masked).
    package var path: String?
    /// The policy revision that decided.
    package var policyRevision: String?
    /// The deciding rule.
    package var rule: String?
    /// The record id (a decision's id in Envoy's dynamic metadata).
    package var id: String?
    /// Only this writer instance's records.
    package var instance: String?

    package init(
        since: UnixTime? = nil, until: UnixTime? = nil, kind: String? = nil, decision: String? = nil,
        reason: String? = nil, subject: String? = nil, spiffeID: String? = nil, xroadClient: String? = nil,
        host: String? = nil, path: String? = nil, policyRevision: String? = nil, rule: String? = nil,
        id: String? = nil, instance: String? = nil
    ) {
        self.since = since
        self.until = until
        self.kind = kind
        self.decision = decision
        self.reason = reason
        self.subject = subject
        self.spiffeID = spiffeID
        self.xroadClient = xroadClient
        self.host = host
        self.path = path
        self.policyRevision = policyRevision
        self.rule = rule
        self.id = id
        self.instance = instance
    }

    /// The text filters as (column, value), in a fixed order.
    var textFilters: [(column: String, value: String)] {
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
}
