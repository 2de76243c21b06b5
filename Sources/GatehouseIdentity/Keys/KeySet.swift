package import Crypto
package import _CryptoExtras

/// An issuer's usable verification keys, after unusable ones were skipped.
package struct KeySet: Sendable {
    /// The keys that verify signatures.
    package var keys: [VerificationKey]
    /// One line per key that was skipped (too short, `use: enc`, unknown `kty`/`crv`, …).
    package var warnings: [String]

    /// A set of keys and the warnings about the ones left out.
    package init(keys: [VerificationKey], warnings: [String] = []) {
        self.keys = keys
        self.warnings = warnings
    }
}

/// One public key (or shared secret) that can verify JWS signatures.
package struct VerificationKey: Sendable {
    /// The key material.
    package enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
        case sharedSecret(SymmetricKey)
    }

    /// The JWK `kid`, if any.
    package var keyID: String?
    /// The key material.
    package var material: Material
    /// The JWK `alg`, if the key names one: then it verifies only that algorithm.
    package var algorithm: JWSAlgorithm?

    /// A key as a JWKS entry or a secret file describes it.
    ///
    /// - Parameters:
    ///   - keyID: The JWK `kid`, if any.
    ///   - material: The public key or shared secret.
    ///   - algorithm: The JWK `alg`, if present; the key is then usable for that algorithm only.
    package init(keyID: String?, material: Material, algorithm: JWSAlgorithm? = nil) {
        self.keyID = keyID
        self.material = material
        self.algorithm = algorithm
    }
}
