package import GatehouseCore
package import NIOCore
package import NIOHTTP1

/// Gatehouse's `Decision` → the answer Envoy's HTTP mode applies: the only place the HTTP door
/// writes a response, the counterpart of the gRPC door's `CheckResponse+Decision.swift`.
///
/// - Allow: 200, the allow headers as response headers (Envoy copies those its
///   `allowed_upstream_headers` names onto the upstream request, overwriting; those in
///   `allowed_upstream_headers_to_append` are appended), and the headers to remove in
///   `x-envoy-auth-headers-to-remove` (comma-separated). Query parameter mutations have no HTTP
///   mode counterpart and are not sent. The decision's metadata (the fields gRPC mode sends as
///   dynamic metadata, as `envoy.metadata` chooses) come as `x-gatehouse-metadata-<field>` headers
///   (`x-gatehouse-metadata-decision-id`, `x-gatehouse-metadata-reason`, …), for
///   `dynamic_metadata_from_headers`; a prefix of their own, so that none collides with a
///   policy's allow header.
/// - Deny: the decision's status (401, 403, 400, 414; 503 only for Gatehouse's own failures),
///   the policy's deny headers and body, and `x-gatehouse-decision-id` alone of the metadata
///   (Envoy hands a denial's headers to the client).
package struct HTTPAuthzAnswer: Sendable {
    /// The response head.
    package var head: HTTPResponseHead
    /// The response body (a denial's); empty on allow.
    package var body: String

    /// The answer to a request decided `decision` with id `decisionID`.
    ///
    /// - Parameters:
    ///   - version: The request's HTTP version.
    ///   - keepAlive: Whether the connection stays open after the answer.
    ///   - metadata: Which decision fields an allow carries as `x-gatehouse-metadata-*` headers
    ///     (the server's `envoy.metadata`); by default ``MetadataFields/lean``.
    package init(
        _ decision: Decision, decisionID: String, version: HTTPVersion, keepAlive: Bool,
        metadata: MetadataFields = .lean
    ) {
        var headers = NIOHTTP1.HTTPHeaders()
        var body = ""
        if decision.isAllowed {
            for mutation in decision.headersToSet { headers.add(name: mutation.name, value: mutation.value) }
            if !decision.headersToRemove.isEmpty {
                headers.add(
                    name: "x-envoy-auth-headers-to-remove", value: decision.headersToRemove.joined(separator: ","))
            }
            for field in metadata.fields {
                if let value = decision.metadataValue(field, decisionID: decisionID) {
                    headers.add(name: Self.metadataHeader(field), value: value)
                }
            }
        } else {
            for mutation in decision.headersToSet { headers.add(name: mutation.name, value: mutation.value) }
            headers.add(name: "x-gatehouse-decision-id", value: decisionID)
            body = decision.body
        }
        headers.add(name: "content-length", value: String(body.utf8.count))
        if !keepAlive { headers.add(name: "connection", value: "close") }
        self.head = HTTPResponseHead(
            version: version, status: decision.isAllowed ? .ok : HTTPResponseStatus(statusCode: Int(decision.status)),
            headers: headers)
        self.body = body
    }

    /// `x-gatehouse-metadata-` and the metadata field with `_` as `-` (`decision_id` →
    /// `x-gatehouse-metadata-decision-id`). Literals, not built a request: replacing `_` in the
    /// field's name on every answer cost 5 % of an HTTP-mode check.
    package static func metadataHeader(_ field: MetadataFields.Field) -> String {
        switch field {
        case .decisionID: return "x-gatehouse-metadata-decision-id"
        case .decision: return "x-gatehouse-metadata-decision"
        case .reason: return "x-gatehouse-metadata-reason"
        case .reasonDetail: return "x-gatehouse-metadata-reason-detail"
        case .status: return "x-gatehouse-metadata-status"
        case .policyRevision: return "x-gatehouse-metadata-policy-revision"
        case .cache: return "x-gatehouse-metadata-cache"
        case .policy: return "x-gatehouse-metadata-policy"
        case .rule: return "x-gatehouse-metadata-rule"
        case .subject: return "x-gatehouse-metadata-subject"
        case .shadowRules: return "x-gatehouse-metadata-shadow-rules"
        }
    }
}
