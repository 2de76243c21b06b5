/// Why ``JWSBundleVerifier`` refused a bundle signature: a stable code for the status API, the
/// log and the metrics, and a sentence for people that never quotes the signature itself.
///
/// The codes are the `code` of ``BundleSignatureVerification/refused(code:message:)``.
package struct BundleSignatureRefusal: Error, Sendable, Hashable {
    /// Not a compact JWS, a segment that is not canonical base64url or not a JSON object, a
    /// header without `alg` or with a non-string `kid`, an empty (detached) payload, or a
    /// signature of the wrong length for its algorithm (a truncated one, or ECDSA in DER).
    package static let malformed = "signature_malformed"
    /// The header's `alg` is neither `EdDSA` nor `ES256`: `none`, HS*, RS*, PS*, ES384 are never bundle signatures.
    package static let algorithmRefused = "signature_algorithm_refused"
    /// The header lists critical extensions (`crit`, e.g. `b64`), which bundles never need.
    package static let criticalHeader = "signature_crit_unsupported"
    /// No configured key has the header's `kid` and verifies its algorithm, or, without `kid`, none verifies it.
    package static let unknownKey = "signature_unknown_key"
    /// The header has no `kid` and several configured keys verify its algorithm.
    package static let ambiguousKey = "signature_key_ambiguous"
    /// The key was found and the signature has the right form, but it does not verify.
    package static let invalid = "signature_invalid"

    /// One of the static codes above.
    package var code: String
    /// What is wrong and how to fix it.
    package var message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}
