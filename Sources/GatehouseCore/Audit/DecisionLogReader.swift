/// Reads the decision log for auditors: the port the admin API's `GET /v1/decisions` calls and
/// GatehouseAudit's store implements (the CLI wires them), so the admin API needs no database.
package protocol DecisionLogReader: Sendable {
    /// One page of records matching `query`, in log order (time, instance, sequence number).
    ///
    /// - Parameters:
    ///   - query: the filters.
    ///   - cursor: the previous page's ``DecisionLogPage/next``; nil for the first page.
    ///   - limit: records per page.
    ///   - proofs: whether to add each record's inclusion proof against its instance's latest checkpoint.
    /// - Throws: ``DecisionLogReadError``.
    func decisions(_ query: DecisionLogQuery, cursor: String?, limit: Int, proofs: Bool) throws -> DecisionLogPage
}

/// One page of the decision log.
package struct DecisionLogPage: Sendable, Equatable {
    /// The records' canonical JSON bodies (each one line, exactly as stored and hashed), in order.
    package var records: [String]
    /// Each record's inclusion proof as a JSON object (same order), when asked for.
    package var proofs: [String]?
    /// The cursor for the next page; nil when this was the last.
    package var next: String?

    package init(records: [String], proofs: [String]? = nil, next: String?) {
        self.records = records
        self.proofs = proofs
        self.next = next
    }
}

/// Why a read failed: the caller's mistake (a bad cursor or filter: 400) or the log's (503).
package struct DecisionLogReadError: Error, Sendable, Equatable {
    /// Stable snake_case (`query_invalid`, `store_failed`).
    package var code: String
    /// What failed and how to fix it.
    package var message: String
    /// Whether the request, not the log, is at fault.
    package var isCallersFault: Bool

    package init(code: String, message: String, isCallersFault: Bool) {
        self.code = code
        self.message = message
        self.isCallersFault = isCallersFault
    }
}

/// What an auditor asks the log for: every filter set must match (AND); nil filters match all.
///
/// Text filters match exactly, or as a pattern when they contain `*` (any run of characters,
/// including `/`; case-sensitive): `xroadClient: "EE/GOV/*"`, `path: "/births/*"`. Results come
/// in log order, (time, instance, sequence number), one page at a time with an opaque cursor.
package struct DecisionLogQuery: Sendable, Equatable {
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
}
