extension DecisionEntry {
    /// The record of one check: the decision and the request attributes an auditor asks about.
    ///
    /// Holds no header value but `x-request-id` and the trace id of a well-formed `traceparent`,
    /// and the path with every query value masked, so no credential reaches the log.
    ///
    /// - Parameters:
    ///   - latencyMicroseconds: From the decoded request to the decision (0 where unknown: a
    ///     shadow record's copy of the active decision).
    ///   - traceID: The W3C trace id, where the caller read one.
    package init(
        _ decision: borrowing Decision, request: borrowing AuthzRequest, latencyMicroseconds: UInt64 = 0,
        traceID: String? = nil
    ) {
        self.init(
            decision: decision.outcome, status: decision.status, reason: decision.reason.code,
            reasonDetail: decision.reasonDetail?.code, policy: decision.policy,
            policyRevision: decision.policyRevision, rule: decision.rule,
            shadowRules: decision.shadowMatches.map { "\($0.rule):\($0.action.rawValue)" },
            method: request.method.rawValue, host: request.host, path: Self.maskedPath(of: request),
            sourceAddress: request.source.address?.description, caller: decision.caller, cache: decision.cache,
            latencyMicroseconds: latencyMicroseconds, requestID: request.id, traceID: traceID)
    }

    /// The normalized path (the raw one, cut at `?`, when it could not be normalized) with the
    /// query's names kept and every value replaced by `***`: `/a?x=***&y=***`.
    package static func maskedPath(of request: AuthzRequest) -> String {
        let path: Substring
        let query: QueryParameters
        if request.pathProblem == nil {
            // The common case, no query: the request's own string, not a copy through a Substring.
            guard !request.query.pairs.isEmpty else { return request.path }
            path = Substring(request.path)
            query = request.query
        } else if let mark = request.rawPath.firstIndex(of: "?") {
            path = request.rawPath[..<mark]
            query = QueryParameters(parsing: request.rawPath[request.rawPath.index(after: mark)...])
        } else {
            return request.rawPath
        }
        guard !query.pairs.isEmpty else { return String(path) }
        var masked = String(path)
        for (index, pair) in query.pairs.enumerated() {
            masked += index == 0 ? "?" : "&"
            masked += pair.name
            masked += "=***"
        }
        return masked
    }
}
