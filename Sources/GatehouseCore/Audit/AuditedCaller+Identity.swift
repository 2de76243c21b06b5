extension AuditedCaller {
    /// The verified facts of `identity` a decision record keeps, with the claims `loggableClaims`
    /// names (a policy's `log: { claims: [...] }`) that the token holds.
    ///
    /// Only verified values: the token's `iss` and `sub`, the certificate's SPIFFE ID and X-Road
    /// client. Never the token, a header or the certificate itself. A claim the token lacks is
    /// left out.
    package init(_ identity: Identity, loggableClaims: [ClaimPath] = []) {
        self.init(
            spiffeID: identity.peer?.spiffeID, xroadClient: identity.peer?.xroadClient?.description,
            issuer: identity.token?.issuer, subject: identity.token?.subject)
        guard !loggableClaims.isEmpty, let claims = identity.token?.claims else { return }
        for path in loggableClaims {
            if let value = claims.value(at: path.components) { self.claims[path.description] = value.jsonText }
        }
    }
}
