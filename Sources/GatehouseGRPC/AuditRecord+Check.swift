package import GatehouseCore

extension DecisionEntry {
    /// The record of one check: the decision and the request attributes an auditor asks about.
    ///
    /// Holds no header value but `x-request-id` and the trace id of a well-formed `traceparent`,
    /// and the path with every query value masked, so no credential reaches the log.
    ///
    /// - Parameter latencyMicroseconds: From the decoded request to the decision.
    package init(_ decision: Decision, request: AuthzRequest, latencyMicroseconds: UInt64) {
        self.init(
            decision: decision.outcome, status: decision.status, reason: decision.reason.code,
            reasonDetail: decision.reasonDetail?.code, policy: decision.policy,
            policyRevision: decision.policyRevision, rule: decision.rule,
            shadowRules: decision.shadowMatches.map { "\($0.rule):\($0.action.rawValue)" },
            method: request.method.rawValue, host: request.host, path: Self.maskedPath(of: request),
            sourceAddress: request.source.address?.description, caller: decision.caller, cache: decision.cache,
            latencyMicroseconds: latencyMicroseconds, requestID: request.id,
            traceID: request.headers["traceparent"]?.first.flatMap(Self.traceID(fromTraceparent:)))
    }

    /// The normalized path (the raw one, cut at `?`, when it could not be normalized) with the
    /// query's names kept and every value replaced by `***`: `/a?x=***&y=***`.
    package static func maskedPath(of request: AuthzRequest) -> String {
        let path: Substring
        let query: QueryParameters
        if request.pathProblem == nil {
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

    /// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), or `nil` when the
    /// header is not well formed or the id is all zeros (invalid by the specification).
    package static func traceID(fromTraceparent value: String) -> String? {
        let bytes = value.utf8
        guard bytes.count >= 55 else { return nil }
        var iterator = bytes.makeIterator()
        var version: [UInt8] = []
        var trace: [UInt8] = []
        trace.reserveCapacity(32)
        for index in 0..<55 {
            // `count >= 55` was checked above.
            let byte = iterator.next()!
            switch index {
            case 2, 35, 52: guard byte == UInt8(ascii: "-") else { return nil }
            default:
                guard (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102) else { return nil }
                if index < 2 { version.append(byte) }
                if index >= 3 && index < 35 { trace.append(byte) }
            }
        }
        // Version ff is invalid; version 00 has exactly 55 characters, later versions may add fields after a dash.
        if version == [102, 102] { return nil }
        if version == [48, 48], bytes.count != 55 { return nil }
        if version != [48, 48], bytes.count > 55, iterator.next() != UInt8(ascii: "-") { return nil }
        guard trace.contains(where: { $0 != UInt8(ascii: "0") }) else { return nil }
        return String(decoding: trace, as: UTF8.self)
    }
}
