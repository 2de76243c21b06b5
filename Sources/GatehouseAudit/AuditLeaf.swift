package import GatehouseCore

/// A record's canonical encoding: the exact bytes that are the Merkle leaf and the store's `body`.
///
/// One line of JSON, UTF-8, no whitespace, keys in byte order, absent fields (nil, an empty
/// list or map) omitted, strings escaped minimally (`"` and `\` with a backslash, U+0000–U+001F
/// as `\u00xx`, everything else literal), integers in decimal, times as ``AuditLeafTime``. The
/// common keys are `v` (1), `instance`, `seq` (the leaf index in that instance's tree), `id`,
/// `kind` and `time`; each kind adds its own (deploy/AUDIT.md lists them).
///
/// ```swift
/// let leaf = AuditLeaf.encode(record, instance: "gh-1", sequence: 41)
/// let hash = Merkle.leafHash(leaf)
/// let back = try AuditLeaf.decode(leaf)   // StoredRecord(instance: "gh-1", sequence: 41, record: record)
/// ```
package enum AuditLeaf {
    /// The encoding's version, the `v` field.
    package static let version: UInt64 = 1

    /// The canonical bytes of `record` as leaf `sequence` of `instance`'s tree.
    package static func encode(_ record: AuditRecord, instance: String, sequence: UInt64) -> [UInt8] {
        var writer = AuditLeafWriter()
        let common = Common(record: record, instance: instance, sequence: sequence)
        writer.beginObject()
        switch record.entry {
        case .decision(let entry): Self.write(entry, common: common, into: &writer)
        case .admin(let entry): Self.write(entry, common: common, into: &writer)
        case .activation(let entry): Self.write(entry, common: common, into: &writer)
        case .gap(let entry): Self.write(entry, common: common, into: &writer)
        case .shadow(let entry): Self.write(entry, common: common, into: &writer)
        }
        writer.endObject()
        return writer.finish()
    }

    /// The keys every record has, written where they fall in each kind's byte order.
    ///
    /// It holds the record's id, kind and time, not the record: a copy of the record (every
    /// string of it retained and released) per encoding showed in the writer's profile.
    private struct Common {
        var id: String
        var kind: StaticString
        var time: UnixTime
        var instance: String
        var sequence: UInt64

        init(record: AuditRecord, instance: String, sequence: UInt64) {
            self.id = record.id
            self.kind =
                switch record.entry {
                case .decision: "decision"
                case .admin: "admin"
                case .activation: "activation"
                case .gap: "gap"
                case .shadow: "shadow"
                }
            self.time = record.time
            self.instance = instance
            self.sequence = sequence
        }

        /// `id`, `instance`.
        func writeIdentity(_ writer: inout AuditLeafWriter) {
            writer.string("id", self.id)
            writer.string("instance", self.instance)
        }

        func writeKind(_ writer: inout AuditLeafWriter) {
            writer.key("kind")
            writer.string(self.kind)
        }
        func writeSequence(_ writer: inout AuditLeafWriter) { writer.integer("seq", self.sequence) }
        func writeTime(_ writer: inout AuditLeafWriter) { writer.time("time", self.time) }
        func writeVersion(_ writer: inout AuditLeafWriter) { writer.integer("v", AuditLeaf.version) }
    }

    // Each writer below lists its keys in byte order, the common ones included; `AuditLeafTests`
    // decodes a fully populated record of every kind and fails if the order ever slips.

    private static func write(_ entry: DecisionEntry, common: Common?, into writer: inout AuditLeafWriter) {
        writer.string("cache", entry.cache.rawValue)
        writer.stringMap("claims", entry.caller.claims)
        writer.string("decision", entry.decision.rawValue)
        writer.string("host", entry.host)
        common?.writeIdentity(&writer)
        writer.string("issuer", entry.caller.issuer)
        common?.writeKind(&writer)
        writer.integer("latency_us", entry.latencyMicroseconds)
        writer.string("method", entry.method)
        writer.string("path", entry.path)
        writer.string("policy", entry.policy)
        writer.string("policy_revision", entry.policyRevision)
        writer.string("reason", entry.reason)
        writer.string("reason_detail", entry.reasonDetail)
        writer.string("request_id", entry.requestID)
        writer.string("rule", entry.rule)
        common?.writeSequence(&writer)
        writer.strings("shadow_rules", entry.shadowRules)
        writer.string("source_address", entry.sourceAddress)
        writer.string("spiffe_id", entry.caller.spiffeID)
        writer.integer("status", UInt64(entry.status))
        writer.string("subject", entry.caller.subject)
        common?.writeTime(&writer)
        writer.string("trace_id", entry.traceID)
        common?.writeVersion(&writer)
        writer.string("xroad_client", entry.caller.xroadClient)
    }

    private static func write(_ entry: AdminEntry, common: Common, into writer: inout AuditLeafWriter) {
        writer.string("action", entry.action)
        writer.string("actor", entry.actor)
        writer.string("detail", entry.detail)
        common.writeIdentity(&writer)
        common.writeKind(&writer)
        writer.string("outcome", entry.outcome)
        writer.string("role", entry.role)
        common.writeSequence(&writer)
        writer.integer("status", UInt64(entry.status))
        common.writeTime(&writer)
        common.writeVersion(&writer)
    }

    private static func write(_ entry: ActivationEntry, common: Common, into writer: inout AuditLeafWriter) {
        writer.string("actor", entry.actor)
        writer.string("detail", entry.detail)
        writer.integer("duration_ms", entry.durationMilliseconds)
        common.writeIdentity(&writer)
        common.writeKind(&writer)
        writer.string("outcome", entry.outcome)
        writer.string("revision", entry.revision)
        common.writeSequence(&writer)
        writer.string("source", entry.source)
        common.writeTime(&writer)
        writer.string("trigger", entry.trigger)
        common.writeVersion(&writer)
    }

    private static func write(_ entry: GapEntry, common: Common, into writer: inout AuditLeafWriter) {
        writer.string("cause", entry.cause)
        writer.integer("count", entry.count)
        writer.time("from", entry.from)
        common.writeIdentity(&writer)
        common.writeKind(&writer)
        common.writeSequence(&writer)
        common.writeTime(&writer)
        writer.time("to", entry.to)
        common.writeVersion(&writer)
    }

    private static func write(_ entry: ShadowEntry, common: Common, into writer: inout AuditLeafWriter) {
        writer.key("active")
        writer.beginObject()
        Self.write(entry.active, common: nil, into: &writer)
        writer.endObject()
        writer.string("candidate_decision", entry.candidateDecision.rawValue)
        writer.string("candidate_reason", entry.candidateReason)
        writer.string("candidate_revision", entry.candidateRevision)
        writer.string("candidate_rule", entry.candidateRule)
        common.writeIdentity(&writer)
        common.writeKind(&writer)
        common.writeSequence(&writer)
        common.writeTime(&writer)
        common.writeVersion(&writer)
    }
}
