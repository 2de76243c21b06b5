import GatehouseCore

/// Records of every kind, fully populated and minimal, for the leaf, tree and verifier tests.
enum AuditRecordSamples {
    static let time = UnixTime(seconds: 1_796_517_312, nanoseconds: 123_456_789)

    static let fullDecision = DecisionEntry(
        decision: .deny, status: 403, reason: "rule_denied", reasonDetail: "jwt_expired", policy: "civil-registry",
        policyRevision: "r42", rule: "clerks-read", shadowRules: ["audit-all:deny", "x:allow"], method: "GET",
        host: "civil-registry.gov.example", path: "/births/1987-0042?x=***",
        sourceAddress: "10.0.0.7",
        caller: AuditedCaller(
            spiffeID: "spiffe://gov.example/ns/a/sa/b", xroadClient: "EE/GOV/70000001/sub",
            issuer: "https://idp.gov.example", subject: "alice \"the\" clerk\\\n\u{1}é☃",
            claims: ["realm_access.roles": "[\"clerk\"]", "azp": "\"portal\"", "Zed": "1"]),
        cache: .miss, latencyMicroseconds: 87, requestID: "req-1", traceID: "4bf92f3577b34da6a3ce929d0e0e4736")

    static let minimalDecision = DecisionEntry(
        decision: .allow, status: 200, reason: "allowed", policyRevision: "r1", method: "GET", host: "h", path: "/")

    static let all: [AuditRecord] = [
        AuditRecord(id: "0123456789abcdef0123456789abcdef", time: time, entry: .decision(fullDecision)),
        AuditRecord(id: "d2", time: UnixTime(seconds: 0), entry: .decision(minimalDecision)),
        AuditRecord(
            id: "a1", time: time,
            entry: .admin(
                AdminEntry(
                    actor: "spiffe://gov.example/admin", role: "admin", action: "POST /v1/policy/notify",
                    outcome: "activated", status: 200, detail: "revision r43"))),
        AuditRecord(
            id: "a2", time: time,
            entry: .admin(
                AdminEntry(actor: "anonymous", role: nil, action: "GET /v1/status", outcome: "refused", status: 401))),
        AuditRecord(
            id: "p1", time: time,
            entry: .activation(
                ActivationEntry(
                    revision: "r43", source: "directory policies", trigger: "notify", actor: "ops",
                    outcome: "activated",
                    durationMilliseconds: 512, detail: "x"))),
        AuditRecord(
            id: "p2", time: time,
            entry: .activation(
                ActivationEntry(
                    revision: nil, source: "upload", trigger: "upload", outcome: "policy_compile_failed",
                    durationMilliseconds: 0))),
        AuditRecord(
            id: "g1", time: time,
            entry: .gap(
                GapEntry(
                    count: 17, from: UnixTime(seconds: 1_796_517_300, nanoseconds: 5),
                    to: UnixTime(seconds: 1_796_517_311, nanoseconds: 999_999_999), cause: "queue_full"))),
        AuditRecord(
            id: "s1", time: time,
            entry: .shadow(
                ShadowEntry(
                    active: fullDecision, candidateRevision: "r44", candidateDecision: .allow,
                    candidateReason: "allowed",
                    candidateRule: "new-rule"))),
        AuditRecord(
            id: "s2", time: time,
            entry: .shadow(
                ShadowEntry(
                    active: minimalDecision, candidateRevision: "r44", candidateDecision: .deny,
                    candidateReason: "no_rule_matched", candidateRule: nil))),
    ]

    /// A decision record numbered `index`, for trees of many leaves.
    static func decision(_ index: Int) -> AuditRecord {
        var entry = fullDecision
        entry.latencyMicroseconds = UInt64(index)
        return AuditRecord(
            id: String(index, radix: 16), time: UnixTime(seconds: 1_796_517_312 + Int64(index)), entry: .decision(entry)
        )
    }
}
