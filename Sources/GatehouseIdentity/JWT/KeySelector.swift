import GatehouseCore

/// Picks the one key of the token's issuer that may verify it.
///
/// Only the issuer's configured set is consulted: `jku`, `x5u`, `jwk` and `x5c` in the header
/// are never key sources, so a token cannot bring its own key.
enum KeySelector {
    /// The key for `header`'s `kid` (or, without `kid`, the issuer's only key usable for `algorithm`).
    static func key(
        for header: [String: ClaimValue], algorithm: JWSAlgorithm, issuer: IssuerSettings
    ) async throws(TokenRejection) -> VerificationKey {
        if let key = try self.keyWithoutWaiting(for: header, algorithm: algorithm, issuer: issuer) { return key }
        // Only a `kid` the current set lacks gets here: re-fetch, since the id is new (a known id
        // with the wrong type would not change).
        if case .string(let keyID)? = header["kid"],
            let refreshed = await issuer.keys.keysAfterUnknownKeyID(keyID),
            let key = try self.key(keyID, in: refreshed, algorithm: algorithm)
        {
            return key
        }
        throw TokenRejection(
            .tokenKeyUnknown, "The token's key id names no key of issuer '\(issuer.issuer)' for its algorithm.")
    }

    /// The key ``key(for:algorithm:issuer:)`` would pick, when picking it needs no re-fetch of
    /// the issuer's set; `nil` when the token names a key id the current set lacks.
    static func keyWithoutWaiting(
        for header: [String: ClaimValue], algorithm: JWSAlgorithm, issuer: IssuerSettings
    ) throws(TokenRejection) -> VerificationKey? {
        guard let keys = issuer.keys.current else {
            throw TokenRejection(
                .tokenKeysUnavailable, "The keys of issuer '\(issuer.issuer)' are not loaded yet; try again shortly.")
        }
        switch header["kid"] {
        case nil: return try self.onlyKey(in: keys, algorithm: algorithm, issuer: issuer)
        case .string(let keyID)?:
            if let key = try self.key(keyID, in: keys, algorithm: algorithm) { return key }
            // A new id may be fetched: only the waiting path may do that.
            if !keys.keys.contains(where: { $0.keyID == keyID }) { return nil }
            throw TokenRejection(
                .tokenKeyUnknown, "The token's key id names no key of issuer '\(issuer.issuer)' for its algorithm.")
        default:
            throw TokenRejection(.tokenMalformed, "The token's 'kid' header is not a string.")
        }
    }

    private static func key(
        _ keyID: String, in keys: KeySet, algorithm: JWSAlgorithm
    ) throws(TokenRejection) -> VerificationKey? {
        let matches = keys.keys.filter { key in
            key.keyID.map { ASCII.equal($0, keyID) } == true && key.isUsable(for: algorithm)
        }
        guard matches.count <= 1 else {
            throw TokenRejection(
                .tokenKeyAmbiguous, "The issuer publishes several keys with the token's key id for its algorithm.")
        }
        return matches.first
    }

    private static func onlyKey(
        in keys: KeySet, algorithm: JWSAlgorithm, issuer: IssuerSettings
    ) throws(TokenRejection) -> VerificationKey {
        let usable = keys.keys.filter { $0.isUsable(for: algorithm) }
        switch usable.count {
        case 1: return usable[0]
        case 0:
            throw TokenRejection(
                .tokenKeyUnknown, "Issuer '\(issuer.issuer)' has no key for the token's algorithm.")
        default:
            throw TokenRejection(
                .tokenKeyAmbiguous,
                "The token has no key id and issuer '\(issuer.issuer)' has several keys for its algorithm; add 'kid'.")
        }
    }
}
