import Crypto
import GatehouseCore
import _CryptoExtras

extension KeySet {
    /// The shortest shared secret accepted for HS256/384/512: RFC 7518 §3.2 asks for at least the hash size.
    package static let minimumSecretBytes = 32

    /// Parses a JWKS document (`{"keys":[...]}`), skipping keys that must not or cannot verify signatures.
    ///
    /// A key is skipped, with one line in ``warnings``, when it is RSA under 2048 bits, marked
    /// `use: enc` or with `key_ops` lacking `verify`, of an unknown `kty` or `crv`, names an `alg`
    /// Gatehouse does not verify or that does not fit its type, is a shared secret (`oct`: secrets
    /// never come from a JWKS), or has malformed members. The document itself is parsed as
    /// strictly as a token header: duplicate members or invalid JSON reject it whole.
    ///
    /// - Parameters:
    ///   - jwks: The document's bytes.
    ///   - origin: The file or URL, for messages.
    /// - Throws: ``IdentityError`` with ``IdentityError/Code/keySetInvalid`` when the document is not a
    ///   JWKS, or ``IdentityError/Code/keySetHasNoUsableKey`` when no usable key remains.
    package static func parse(jwks: some Collection<UInt8>, origin: String) throws(IdentityError) -> KeySet {
        let document: ClaimValue
        do throws(IdentityError) {
            document = try StrictJSON.parse(Array(jwks))
        } catch {
            throw IdentityError(
                code: .keySetInvalid,
                message:
                    "The key set '\(origin)' is not valid JSON (\(error.message)); serve a JWKS document as RFC 7517 §5 defines.",
                cause: error)
        }
        guard case .object(let members) = document, case .array(let entries)? = members["keys"] else {
            throw IdentityError(
                code: .keySetInvalid,
                message:
                    "The key set '\(origin)' is not a JSON object with a 'keys' array; serve a JWKS document (RFC 7517 §5)."
            )
        }
        var set = KeySet(keys: [])
        for (index, entry) in entries.enumerated() {
            switch JWKReader.key(entry) {
            case .success(let (key, notes)):
                set.keys.append(key)
                set.warnings += notes.map { "\(origin): key \(index)\(Self.kidLabel(entry)): \($0)" }
            case .failure(let problem):
                set.warnings.append("\(origin): key \(index)\(Self.kidLabel(entry)) skipped: \(problem.message)")
            }
        }
        guard !set.keys.isEmpty else {
            let reasons = set.warnings.isEmpty ? "the 'keys' array is empty" : set.warnings.joined(separator: "; ")
            throw IdentityError(
                code: .keySetHasNoUsableKey,
                message:
                    "No key of the key set '\(origin)' can verify signatures (\(reasons)); publish at least one RSA ≥ 2048, P-256, P-384 or Ed25519 signing key."
            )
        }
        return set
    }

    /// A shared secret for HS256/384/512.
    ///
    /// - Parameters:
    ///   - secret: The secret's bytes, exactly as configured.
    ///   - origin: The secret file, for messages.
    /// - Throws: ``IdentityError`` with ``IdentityError/Code/secretTooShort`` when the secret is
    ///   shorter than ``minimumSecretBytes``.
    package static func sharedSecret(_ secret: [UInt8], origin: String) throws(IdentityError) -> KeySet {
        guard secret.count >= Self.minimumSecretBytes else {
            throw IdentityError(
                code: .secretTooShort,
                message:
                    "The shared secret in '\(origin)' has \(secret.count) bytes; use at least \(Self.minimumSecretBytes) random bytes."
            )
        }
        return KeySet(keys: [VerificationKey(keyID: nil, material: .sharedSecret(SymmetricKey(data: secret)))])
    }

    private static func kidLabel(_ entry: ClaimValue) -> String {
        guard case .string(let kid)? = entry.value(at: ["kid"]) else { return "" }
        return " (kid '\(kid)')"
    }
}
