extension AuditedCaller {
    /// The verified facts of `identity` a decision record keeps, with the claims `loggableClaims`
    /// names (a policy's `log: { claims: [...] }`) that the token holds.
    ///
    /// Only verified values: the token's `iss` and `sub`, the certificate's SPIFFE ID and X-Road
    /// client. Never the token, a header or the certificate itself. A claim the token lacks is
    /// left out.
    // Borrowing (an initializer takes its arguments owned): the decision copied the whole identity
    // to pass it here (callgrind, DecisionLoop).
    @inline(never)
    package init(_ identity: borrowing Identity, loggableClaims: [ClaimPath] = []) {
        self.init(
            claims: Self.claims(loggableClaims, of: identity),
            spiffeID: identity.peer?.spiffeID, xroadClient: identity.peer?.xroadClient?.description,
            issuer: identity.token?.issuer, subject: identity.token?.subject)
    }

    /// The loggable claims the token holds, as JSON text by path.
    private static func claims(_ paths: [ClaimPath], of identity: borrowing Identity) -> [String: String] {
        guard !paths.isEmpty, let tokenClaims = identity.token?.claims else { return [:] }
        var claims: [String: String] = [:]
        for path in paths {
            if let value = tokenClaims.value(at: path.components) { claims[path.description] = value.jsonText }
        }
        return claims
    }
}
