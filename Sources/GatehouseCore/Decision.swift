/// The answer to one authorization check.
///
/// A denial is a value, not an error. On allow, the header and query mutations apply to the
/// request on its way upstream; on deny, ``status``, ``headersToSet`` and ``body`` make up the
/// response sent to the client.
package struct Decision: Sendable, Equatable {
    /// Allow or deny.
    package enum Outcome: String, Sendable, Hashable {
        case allow
        case deny
    }

    /// Allow or deny.
    package var outcome: Outcome
    /// 200 on allow; the denied response's status otherwise.
    package var status: UInt16
    /// Why.
    package var reason: DecisionReason
    /// The finer stable code behind a credential rejection (`token_expired`, …), if any.
    package var reasonDetail: DecisionReason?
    /// The policy that governed the request, if one was selected.
    package var policy: String?
    /// The rule that decided, if one did.
    package var rule: String?
    /// Shadow rules that matched: reported, not enforced.
    package var shadowMatches: [ShadowMatch]
    /// On allow, headers to set on the upstream request; on deny, headers of the denied response.
    package var headersToSet: [HeaderMutation]
    /// On allow, headers to remove before the upstream (credentials, by default).
    package var headersToRemove: [String]
    /// On allow, query parameters to set.
    package var queryParametersToSet: [QueryParameterMutation]
    /// On allow, query parameters to remove.
    package var queryParametersToRemove: [String]
    /// On deny, the response body.
    package var body: String
    /// Who the caller is, for logs and metadata.
    package var subject: String?
    /// The revision of the policy set that decided.
    package var policyRevision: String
    /// Where the decision came from: computed now, or reused from the decision cache.
    package var cache: CacheUse
    /// The verified caller as the decision log records it (issuer, subject, SPIFFE ID, X-Road
    /// client, loggable claims); kept with a cached decision so a hit records the same caller.
    package var caller: AuditedCaller

    /// Whether the request may proceed.
    package var isAllowed: Bool { self.outcome == .allow }

    /// The metadata fields of the answer to Envoy (gRPC dynamic metadata, HTTP mode headers),
    /// for Envoy's access log: those of `fields` that have a value, in `fields`' order.
    ///
    /// - Parameters:
    ///   - decisionID: The unique id the server gave this decision.
    ///   - fields: Which fields to send (the server's `envoy.metadata`); by default all of them.
    package func dynamicMetadata(
        decisionID: String, fields: MetadataFields = .full
    ) -> [(key: String, value: String)] {
        var metadata: [(key: String, value: String)] = []
        metadata.reserveCapacity(fields.fields.count)
        for field in fields.fields {
            if let value = self.metadataValue(field, decisionID: decisionID) {
                metadata.append((field.rawValue, value))
            }
        }
        return metadata
    }

    /// The value of one metadata field; `nil` when the decision has none (no rule decided, …).
    package func metadataValue(_ field: MetadataFields.Field, decisionID: String) -> String? {
        switch field {
        case .decisionID: return decisionID
        case .decision: return self.outcome.rawValue
        case .reason: return self.reason.code
        case .reasonDetail: return self.reasonDetail?.code
        case .status: return String(self.status)
        case .policyRevision: return self.policyRevision
        case .cache: return self.cache.rawValue
        case .policy: return self.policy
        case .rule: return self.rule
        case .subject: return self.subject
        case .shadowRules:
            guard !self.shadowMatches.isEmpty else { return nil }
            return self.shadowMatches.map { "\($0.rule):\($0.action.rawValue)" }.joined(separator: ",")
        }
    }
}

extension Decision {
    /// A decision computed now (``cache`` `bypass` until a cache says otherwise).
    ///
    /// It delegates to the memberwise initializer, which builds the value in one step: an
    /// initializer that assigns `self.x = x` member by member left the optimizer a whole-value
    /// copy and destroy at its end, every member retained and released once more on every
    /// decision (callgrind, DecisionLoop; the SIL loads `self` twice).
    package init(
        outcome: Outcome,
        status: UInt16,
        reason: DecisionReason,
        reasonDetail: DecisionReason? = nil,
        policy: String? = nil,
        rule: String? = nil,
        shadowMatches: [ShadowMatch] = [],
        headersToSet: [HeaderMutation] = [],
        headersToRemove: [String] = [],
        queryParametersToSet: [QueryParameterMutation] = [],
        queryParametersToRemove: [String] = [],
        body: String = "",
        subject: String? = nil,
        policyRevision: String = "",
        caller: AuditedCaller = AuditedCaller()
    ) {
        self.init(
            outcome: outcome, status: status, reason: reason, reasonDetail: reasonDetail, policy: policy, rule: rule,
            shadowMatches: shadowMatches, headersToSet: headersToSet, headersToRemove: headersToRemove,
            queryParametersToSet: queryParametersToSet, queryParametersToRemove: queryParametersToRemove, body: body,
            subject: subject, policyRevision: policyRevision, cache: .bypass, caller: caller)
    }
}

/// Whether a decision came from the decision cache; `cache` in dynamic metadata and decision records.
package enum CacheUse: String, Sendable, Hashable {
    /// Served from the cache: no credential was verified and no rule evaluated.
    case hit
    /// Computed now, and stored for the identical requests that follow.
    case miss
    /// Computed once for several identical concurrent requests, this one among the waiters.
    case coalesced
    /// Not cacheable: the cache is off, the policy opts out, or the decision depends on the request id.
    case bypass
}

/// A shadow rule that matched a request.
package struct ShadowMatch: Sendable, Hashable {
    /// The rule's name.
    package var rule: String
    /// What the rule would have done.
    package var action: RuleAction

    package init(rule: String, action: RuleAction) {
        self.rule = rule
        self.action = action
    }
}
