import Crypto
package import Foundation
import _CryptoExtras

extension VerificationKey {
    /// Whether this key can verify `algorithm` at all.
    ///
    /// RSA keys verify RS* and PS*, P-256 keys ES256, P-384 keys ES384, Ed25519 keys EdDSA, shared
    /// secrets HS* — and nothing else, so an HS token is never checked against a public key's bytes.
    /// A key whose JWK named an `alg` verifies that algorithm only.
    package func isUsable(for algorithm: JWSAlgorithm) -> Bool {
        if let named = self.algorithm, named != algorithm { return false }
        switch (self.material, algorithm) {
        case (.rsa, .rs256), (.rsa, .rs384), (.rsa, .rs512), (.rsa, .ps256), (.rsa, .ps384), (.rsa, .ps512):
            return true
        case (.p256, .es256), (.p384, .es384), (.ed25519, .edDSA): return true
        case (.sharedSecret, .hs256), (.sharedSecret, .hs384), (.sharedSecret, .hs512): return true
        default: return false
        }
    }

    /// The exact signature length `algorithm` produces with this key, `nil` when the key cannot verify it.
    func signatureLength(for algorithm: JWSAlgorithm) -> Int? {
        guard self.isUsable(for: algorithm) else { return nil }
        if case .rsa(let key) = self.material { return (key.keySizeInBits + 7) / 8 }
        return algorithm.fixedSignatureLength
    }

    /// Verifies a JWS signature over `signingInput` (the ASCII `header.payload`).
    ///
    /// ECDSA signatures must be the raw `r||s` of JWS (64 bytes for P-256, 96 for P-384), never
    /// DER; RSA-PSS uses MGF1 with the same hash and a salt as long as the hash (RFC 7518 §3.5);
    /// HMAC tags are compared in constant time.
    ///
    /// - Returns: `false` when the key cannot verify `algorithm`, the signature has the wrong length, or it does not verify.
    package func isValidSignature(
        _ signature: some DataProtocol, for signingInput: some DataProtocol, algorithm: JWSAlgorithm
    ) -> Bool {
        guard let length = self.signatureLength(for: algorithm), signature.count == length else { return false }
        switch self.material {
        case .rsa(let key): return Self.isValidRSA(signature, signingInput, key: key, algorithm: algorithm)
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: SHA256.hash(data: signingInput))
        case .p384(let key):
            guard let parsed = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: SHA384.hash(data: signingInput))
        case .ed25519(let key): return key.isValidSignature(signature, for: signingInput)
        case .sharedSecret(let secret):
            let tag = Array(signature)
            switch algorithm {
            case .hs256: return HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: signingInput, using: secret)
            case .hs384: return HMAC<SHA384>.isValidAuthenticationCode(tag, authenticating: signingInput, using: secret)
            default: return HMAC<SHA512>.isValidAuthenticationCode(tag, authenticating: signingInput, using: secret)
            }
        }
    }

    private static func isValidRSA(
        _ signature: some DataProtocol, _ input: some DataProtocol, key: _RSA.Signing.PublicKey,
        algorithm: JWSAlgorithm
    ) -> Bool {
        let parsed = _RSA.Signing.RSASignature(rawRepresentation: signature)
        switch algorithm {
        case .rs256: return key.isValidSignature(parsed, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case .rs384: return key.isValidSignature(parsed, for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
        case .rs512: return key.isValidSignature(parsed, for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
        case .ps256: return key.isValidSignature(parsed, for: SHA256.hash(data: input), padding: .PSS)
        case .ps384: return key.isValidSignature(parsed, for: SHA384.hash(data: input), padding: .PSS)
        case .ps512: return key.isValidSignature(parsed, for: SHA512.hash(data: input), padding: .PSS)
        default: return false
        }
    }
}
