/// A stored decision turned back into something a decision tree can evaluate: the request
/// attributes the record holds and the identity it names, taken as already verified.
///
/// What a record cannot give back: headers (other than `x-request-id`), query values (masked
/// as `***`), Envoy's `context_extensions` (inferred from the recorded policy's name), the destination, the token's claims other than the
/// loggable ones, the certificate's subject and serial. ``DecisionTree/replay(_:)`` refuses to
/// judge a record whose evaluation would read one of those (``ReplayLimit``).
package struct ReplayedCheck: Sendable {
    /// The request: method, host, the path without its masked query, source address, request id.
    package var request: AuthzRequest
    /// The caller as verified then: issuer, subject and the logged claims; SPIFFE ID and X-Road client.
    package var identity: Identity
    /// The dotted claim paths the record holds values for; absent claims of a recorded token are unknown.
    package var loggedClaims: Set<String>
    /// Whether a policy selected the request when it was decided (a `no_policy` or path denial verified no credential).
    package var credentialsVerified: Bool
    /// The policy that governed the request then, by name; it stands in for the context
    /// extensions the record does not keep (``DecisionTree/replay(_:)``).
    package var recordedPolicy: String?

    /// Rebuilds the check a decision record describes.
    ///
    /// - Parameter time: The record's time (the request's arrival).
    /// - Throws: ``ReplayLimit`` when the record was no policy's verdict or a field does not parse.
    package init(_ entry: DecisionEntry, time: UnixTime) throws(ReplayLimit) {
        if Self.nonPolicyReasons.contains(entry.reason) { throw .notAPolicyDecision(entry.reason) }
        var source = Peer()
        if let text = entry.sourceAddress {
            guard let address = IPAddress(text) else { throw .malformed("source_address") }
            source.address = address
        }
        // The masked query (`?x=***`) holds no value a rule could read; rules read no query anyway.
        let path =
            entry.path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first
            .map(String.init) ?? entry.path
        // `x-request-id` is the one header a record keeps.
        self.request = AuthzRequest(
            method: entry.method, path: path, host: entry.host,
            headers: entry.requestID.map { [("x-request-id", $0)] } ?? [], source: source, time: time,
            id: entry.requestID)
        var identity = Identity()
        let caller = entry.caller
        if caller.spiffeID != nil || caller.xroadClient != nil {
            var peer = PeerIdentity(spiffeID: caller.spiffeID)
            if let client = caller.xroadClient {
                guard let parsed = XRoadClientID(client) else { throw .malformed("xroad_client") }
                peer.xroadClient = parsed
            }
            identity.peer = peer
        }
        if let issuer = caller.issuer {
            var claims: [String: ClaimValue] = ["iss": .string(issuer)]
            if let subject = caller.subject { claims["sub"] = .string(subject) }
            for (path, text) in caller.claims {
                guard let value = ClaimValue(jsonText: text), let components = ClaimPath(path)?.components else {
                    throw .malformed("claims.\(path)")
                }
                Self.insert(value, at: components[...], into: &claims)
            }
            identity.token = VerifiedToken(issuer: issuer, subject: caller.subject, claims: .object(claims))
        }
        switch entry.reason {
        case DecisionReason.invalidToken.code:
            identity.credentialFailure = CredentialFailure(
                kind: .token, reason: .invalidToken, detail: entry.reasonDetail.map(DecisionReason.init(code:)),
                description: "recorded")
        case DecisionReason.invalidClientCertificate.code:
            identity.credentialFailure = CredentialFailure(
                kind: .clientCertificate, reason: .invalidClientCertificate,
                detail: entry.reasonDetail.map(DecisionReason.init(code:)), description: "recorded")
        default: break
        }
        self.identity = identity
        var logged: Set<String> = Set(caller.claims.keys)
        if caller.issuer != nil { logged.insert("iss") }
        if caller.subject != nil { logged.insert("sub") }
        self.loggedClaims = logged
        self.credentialsVerified = entry.policy != nil
        self.recordedPolicy = entry.policy
    }

    /// Reasons that are not a policy's verdict: Gatehouse failed, had no policy, or the front door refused the caller.
    static let nonPolicyReasons: Set<String> = [
        DecisionReason.internalError.code, DecisionReason.policyNotLoaded.code, DecisionReason.auditUnavailable.code,
        DecisionReason.callerNotAllowed.code,
    ]

    /// Whether the record holds the claim at `path` whole: it or an enclosing object was logged.
    package func holdsClaim(_ path: String) -> Bool {
        guard self.identity.token != nil else {
            // Without a token every claim is absent, and the record says so.
            return true
        }
        if self.loggedClaims.contains(path) { return true }
        return self.loggedClaims.contains { path.hasPrefix($0 + ".") }
    }

    private static func insert(
        _ value: ClaimValue, at path: ArraySlice<String>, into members: inout [String: ClaimValue]
    ) {
        guard let key = path.first else { return }
        if path.count == 1 {
            members[key] = value
            return
        }
        var inner: [String: ClaimValue] = [:]
        if case .object(let existing)? = members[key] { inner = existing }
        Self.insert(value, at: path.dropFirst(), into: &inner)
        members[key] = .object(inner)
    }
}
