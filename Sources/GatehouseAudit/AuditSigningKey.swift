import Crypto
import Foundation

/// The writer instance's Ed25519 key, which signs its checkpoints.
///
/// Kept in a PKCS#8 PEM file of mode 0600 in a directory the operator names, never in the
/// database: whoever can rewrite the database must not also be able to re-sign it. Its public
/// half, ``verifierKey``, is all an auditor needs.
///
/// ```swift
/// let key = try AuditSigningKey.loadOrCreate(path: "/var/lib/gatehouse/keys/audit-ed25519.pem", name: "gatehouse.example/audit/gh-1")
/// print(key.verifierKey.text)   // gatehouse.example/audit/gh-1+1a2b3c4d+AU3q…
/// ```
package struct AuditSigningKey: Sendable {
    /// The signer's name in checkpoint signature lines and the verifier key.
    package let name: String
    private let privateKey: Curve25519.Signing.PrivateKey

    /// The public half, in the signed-note verifier key form.
    package let verifierKey: AuditVerifierKey

    /// A key with signer `name` from a 32-byte Ed25519 seed.
    ///
    /// - Throws: ``AuditError/Code/keyInvalid`` when the seed is not 32 bytes or the name is not
    ///   a valid signed-note key name.
    package init(name: String, seed: some Collection<UInt8>) throws(AuditError) {
        guard let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: Array(seed)) else {
            throw AuditError(.keyInvalid, "An Ed25519 private key is 32 bytes, not \(seed.count).")
        }
        try self.init(name: name, privateKey: privateKey)
    }

    private init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws(AuditError) {
        self.name = name
        self.privateKey = privateKey
        self.verifierKey = try AuditVerifierKey(name: name, publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// A new random key with signer `name`.
    package static func generate(name: String) throws(AuditError) -> AuditSigningKey {
        try AuditSigningKey(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// A key from the text of a PKCS#8 PEM file (`-----BEGIN PRIVATE KEY-----`, Ed25519).
    ///
    /// - Throws: ``AuditError/Code/keyInvalid`` for anything else.
    package init(name: String, pem: String) throws(AuditError) {
        guard let der = AuditKeyPEM.decode(pem, label: "PRIVATE KEY"),
            der.count == AuditKeyPEM.pkcs8Prefix.count + 32, der.starts(with: AuditKeyPEM.pkcs8Prefix)
        else {
            throw AuditError(
                .keyInvalid,
                "The audit signing key is not an Ed25519 private key in PKCS#8 PEM form (-----BEGIN PRIVATE KEY-----); "
                    + "remove the file to have Gatehouse create a new key, or convert it with "
                    + "'openssl pkey -in OLD -out NEW'.")
        }
        try self.init(name: name, seed: der.dropFirst(AuditKeyPEM.pkcs8Prefix.count))
    }

    /// The key as a PKCS#8 PEM document (what ``loadOrCreate(path:name:)`` writes).
    package var pem: String {
        AuditKeyPEM.encode(AuditKeyPEM.pkcs8Prefix + Array(self.privateKey.rawRepresentation), label: "PRIVATE KEY")
    }

    /// The Ed25519 signature of `message` (64 bytes).
    package func sign(_ message: some Collection<UInt8>) -> [UInt8] {
        // Signing with a valid key cannot fail; swift-crypto's API throws only for other algorithms.
        Array((try? self.privateKey.signature(for: Array(message))) ?? Data())
    }
}
