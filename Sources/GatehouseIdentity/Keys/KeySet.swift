package import Crypto
package import _CryptoExtras

/// An issuer's usable verification keys, after unusable ones were skipped.
package struct KeySet: Sendable {
    /// The keys that verify signatures.
    package var keys: [VerificationKey]
    /// One line per key that was skipped (too short, `use: enc`, unknown `kty`/`crv`, …).
    package var warnings: [String]

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

    package init(keyID: String?, material: Material) {
        self.keyID = keyID
        self.material = material
    }
}
