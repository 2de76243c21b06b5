import Crypto
import GatehouseCore
import _CryptoExtras

extension KeySet {
    /// The shortest shared secret accepted for HS256/384/512: RFC 7518 §3.2 asks for at least the hash size.
    package static let minimumSecretBytes = 32

    /// Where a JWKS document comes from, which decides whether it may hold shared secrets.
    package enum Source: Sendable, Hashable {
        /// A file the policy names: read only by those who may read the policy's secrets, so its
        /// `oct` keys (RFC 7518 §6.4) are shared secrets for HS256/384/512.
        case file
        /// A URL (or OpenID discovery): a published document anyone may fetch, so an `oct` key in
        /// it is no secret, and the document is refused whole.
        case url
    }

    /// Parses a JWKS document (`{"keys":[...]}`), skipping keys that must not or cannot verify signatures.
    ///
    /// A key is skipped, with one line in ``warnings``, when it is RSA under 2048 bits, a shared
    /// secret (`oct`) under ``minimumSecretBytes``, marked `use: enc` or with `key_ops` lacking
    /// `verify`, of an unknown `kty` or `crv`, names an `alg` Gatehouse does not verify or that
    /// does not fit its type, or has malformed members. The document itself is parsed as
    /// strictly as a token header: duplicate members or invalid JSON reject it whole.
    ///
    /// - Parameters:
    ///   - jwks: The document's bytes.
    ///   - origin: The file or URL, for messages.
    ///   - source: A file may hold `oct` secrets; a document from a URL that holds one is refused.
    /// - Throws: ``IdentityError`` with ``IdentityError/Code/keySetInvalid`` when the document is not a
    ///   JWKS, ``IdentityError/Code/keySetPublishesSecret`` when a document from a URL holds an
    ///   `oct` key, or ``IdentityError/Code/keySetHasNoUsableKey`` when no usable key remains.
    package static func parse(
        jwks: some Collection<UInt8>, origin: String, source: Source
    ) throws(IdentityError) -> KeySet {
        let entries = try Self.entries(jwks, origin: origin)
        if source == .url { try Self.refuseSecrets(in: entries, origin: origin) }
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
            let kinds = source == .file ? ", P-384, Ed25519 or 'oct' (32 bytes or more)" : ", P-384 or Ed25519"
            throw IdentityError(
                code: .keySetHasNoUsableKey,
                message:
                    "No key of the key set '\(origin)' can verify signatures (\(reasons)); publish at least one RSA ≥ 2048, P-256\(kinds) signing key."
            )
        }
        return set
    }

    /// A shared secret for HS256/384/512.
    ///
    /// - Parameters:
    ///   - secret: The secret's bytes, exactly as configured.
    ///   - origin: The secret file, for messages.
    ///   - keyID: The `kid` that names it (the policy's `kid` beside `secretFile`); without one, a
    ///     token naming any `kid` is refused (`token_key_unknown`), one naming none verifies.
    /// - Throws: ``IdentityError`` with ``IdentityError/Code/secretTooShort`` when the secret is
    ///   shorter than ``minimumSecretBytes``.
    package static func sharedSecret(
        _ secret: [UInt8], origin: String, keyID: String? = nil
    ) throws(IdentityError) -> KeySet {
        guard secret.count >= Self.minimumSecretBytes else {
            throw IdentityError(
                code: .secretTooShort,
                message:
                    "The shared secret in '\(origin)' has \(secret.count) bytes; use at least \(Self.minimumSecretBytes) random bytes."
            )
        }
        return KeySet(keys: [VerificationKey(keyID: keyID, material: .sharedSecret(SymmetricKey(data: secret)))])
    }

    /// The `keys` array of a JWKS document.
    private static func entries(_ jwks: some Collection<UInt8>, origin: String) throws(IdentityError) -> [ClaimValue] {
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
        return entries
    }

    /// Refuses a published document that holds an `oct` key, well-formed or not: its secret is
    /// out, and whoever published it may have published more than they meant to.
    private static func refuseSecrets(in entries: [ClaimValue], origin: String) throws(IdentityError) {
        for (index, entry) in entries.enumerated() {
            guard case .string(let type)? = entry.value(at: ["kty"]), type == "oct" else { continue }
            throw IdentityError(
                code: .keySetPublishesSecret,
                message:
                    "The key set '\(origin)' publishes a shared secret (key \(index)\(Self.kidLabel(entry)), kty 'oct'); a JWKS fetched from a URL is readable by anyone, so it is refused whole. Remove the 'oct' key from the published set and rotate that secret; keep HS secrets in a JWKS 'file' or a 'secretFile'."
            )
        }
    }

    private static func kidLabel(_ entry: ClaimValue) -> String {
        guard case .string(let kid)? = entry.value(at: ["kid"]) else { return "" }
        return " (kid '\(kid)')"
    }
}
