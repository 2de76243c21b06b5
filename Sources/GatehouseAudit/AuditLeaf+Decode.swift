import GatehouseCore

extension AuditLeaf {
    /// Reads leaf bytes back into a record, refusing anything that is not the canonical encoding.
    ///
    /// A body is accepted only if encoding what it says gives exactly the same bytes, so a
    /// stored body, its fields and its leaf hash can never disagree.
    ///
    /// - Parameter bytes: one stored body.
    /// - Returns: the record with its instance and sequence number.
    /// - Throws: ``AuditError/Code/recordMalformed`` for anything that is not a record of a known
    ///   kind; ``AuditError/Code/recordNotCanonical`` for a record in another encoding.
    package static func decode(_ bytes: some Collection<UInt8>) throws(AuditError) -> StoredRecord {
        let input = Array(bytes)
        var fields = AuditLeafFields(try AuditLeafParser.parseObject(input), path: "")
        let version = try fields.integer("v")
        guard version == Self.version else {
            throw AuditError(
                .recordMalformed, "The record's version is \(version); this Gatehouse reads version \(Self.version).")
        }
        let instance = try fields.string("instance")
        let sequence = try fields.integer("seq")
        let id = try fields.string("id")
        let time = try fields.time("time")
        let kind = try fields.string("kind")
        let entry: AuditRecord.Entry
        switch kind {
        case "decision": entry = .decision(try Self.decision(&fields))
        case "admin": entry = .admin(try Self.admin(&fields))
        case "activation": entry = .activation(try Self.activation(&fields))
        case "gap": entry = .gap(try Self.gap(&fields))
        case "shadow": entry = .shadow(try Self.shadow(&fields))
        default:
            throw AuditError(.recordMalformed, "The record's kind '\(kind)' is not one this Gatehouse knows.")
        }
        try fields.finish()
        let stored = StoredRecord(
            instance: instance, sequence: sequence, record: AuditRecord(id: id, time: time, entry: entry))
        guard Self.encode(stored.record, instance: instance, sequence: sequence) == input else {
            throw AuditError(
                .recordNotCanonical,
                "The record seq \(sequence) (id '\(id)') is not in its canonical encoding (key order, "
                    + "whitespace, escapes or an empty field differ), so it was not written by Gatehouse as it is.")
        }
        return stored
    }

    private static func decision(_ fields: inout AuditLeafFields) throws(AuditError) -> DecisionEntry {
        let caller = AuditedCaller(
            spiffeID: try fields.optionalString("spiffe_id"), xroadClient: try fields.optionalString("xroad_client"),
            issuer: try fields.optionalString("issuer"), subject: try fields.optionalString("subject"),
            claims: try fields.stringMap("claims"))
        return DecisionEntry(
            decision: try fields.outcome("decision"), status: try fields.status("status"),
            reason: try fields.string("reason"), reasonDetail: try fields.optionalString("reason_detail"),
            policy: try fields.optionalString("policy"), policyRevision: try fields.string("policy_revision"),
            rule: try fields.optionalString("rule"), shadowRules: try fields.strings("shadow_rules"),
            method: try fields.string("method"), host: try fields.string("host"), path: try fields.string("path"),
            sourceAddress: try fields.optionalString("source_address"), caller: caller,
            cache: try fields.cache("cache"), latencyMicroseconds: try fields.integer("latency_us"),
            requestID: try fields.optionalString("request_id"), traceID: try fields.optionalString("trace_id"))
    }

    private static func admin(_ fields: inout AuditLeafFields) throws(AuditError) -> AdminEntry {
        AdminEntry(
            actor: try fields.string("actor"), role: try fields.optionalString("role"),
            action: try fields.string("action"), outcome: try fields.string("outcome"),
            status: try fields.status("status"), detail: try fields.optionalString("detail"))
    }

    private static func activation(_ fields: inout AuditLeafFields) throws(AuditError) -> ActivationEntry {
        ActivationEntry(
            revision: try fields.optionalString("revision"), source: try fields.string("source"),
            trigger: try fields.string("trigger"), actor: try fields.optionalString("actor"),
            outcome: try fields.string("outcome"), durationMilliseconds: try fields.integer("duration_ms"),
            detail: try fields.optionalString("detail"))
    }

    private static func gap(_ fields: inout AuditLeafFields) throws(AuditError) -> GapEntry {
        GapEntry(
            count: try fields.integer("count"), from: try fields.time("from"), to: try fields.time("to"),
            cause: try fields.string("cause"))
    }

    private static func shadow(_ fields: inout AuditLeafFields) throws(AuditError) -> ShadowEntry {
        var active = try fields.object("active")
        let entry = try Self.decision(&active)
        try active.finish()
        return ShadowEntry(
            active: entry, candidateRevision: try fields.string("candidate_revision"),
            candidateDecision: try fields.outcome("candidate_decision"),
            candidateReason: try fields.string("candidate_reason"),
            candidateRule: try fields.optionalString("candidate_rule"))
    }
}
