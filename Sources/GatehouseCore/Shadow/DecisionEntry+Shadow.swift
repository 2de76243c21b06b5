extension DecisionEntry {
    /// The active decision a shadow record compares against: the same facts the front door's
    /// decision record holds, except latency and the trace id, which the Authorizer does not see.
    package init(shadowed decision: Decision, request: AuthzRequest) {
        self.init(
            decision: decision.outcome, status: decision.status, reason: decision.reason.code,
            reasonDetail: decision.reasonDetail?.code, policy: decision.policy,
            policyRevision: decision.policyRevision, rule: decision.rule,
            shadowRules: decision.shadowMatches.map { "\($0.rule):\($0.action.rawValue)" },
            method: request.method.rawValue, host: request.host, path: Self.pathWithMaskedQuery(request),
            sourceAddress: request.source.address?.description, caller: decision.caller, cache: decision.cache,
            requestID: request.id)
    }

    /// The normalized path with every query value masked (`/a?x=***`), as decision records keep it.
    private static func pathWithMaskedQuery(_ request: AuthzRequest) -> String {
        guard request.pathProblem == nil else {
            return String(request.rawPath.prefix { $0 != "?" })
        }
        var path = request.path
        for (index, pair) in request.query.pairs.enumerated() {
            path += index == 0 ? "?" : "&"
            path += pair.name + "=***"
        }
        return path
    }
}
