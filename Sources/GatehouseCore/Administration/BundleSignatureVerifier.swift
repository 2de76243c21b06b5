/// Verifies the signatures of a policy bundle: compact JWS (EdDSA or ES256) against the
/// server's configured bundle keys.
///
/// The port belongs to GatehouseBundle, which reads `.signatures.json` and checks that a
/// verified payload names exactly the bundle's files and hashes; GatehouseIdentity implements
/// it with the project's strict JWS verifier, and the CLI builds one from `bundles.keys`.
package protocol BundleSignatureVerifier: Sendable {
    /// Verifies one compact JWS.
    ///
    /// - Returns: The key id that verified it and the payload, or the refusal's reason.
    func verify(compactJWS: String) -> BundleSignatureVerification
}

/// What a ``BundleSignatureVerifier`` says about one signature.
package enum BundleSignatureVerification: Sendable, Hashable {
    /// The signature verified under the key `keyID`; `payload` is the signed bytes.
    case verified(keyID: String, payload: [UInt8])
    /// Not verified: malformed, an algorithm other than EdDSA or ES256, an unknown key, or a bad signature.
    case refused(code: String, message: String)
}
