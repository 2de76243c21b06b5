/// A JWS signature algorithm Gatehouse verifies (RFC 7518 §3, RFC 8037 for EdDSA).
///
/// `none` is deliberately absent: an unsigned token is never accepted, whatever the policy says.
package enum JWSAlgorithm: String, Sendable, Hashable, CaseIterable {
    case rs256 = "RS256"
    case rs384 = "RS384"
    case rs512 = "RS512"
    case ps256 = "PS256"
    case ps384 = "PS384"
    case ps512 = "PS512"
    case es256 = "ES256"
    case es384 = "ES384"
    case edDSA = "EdDSA"
    case hs256 = "HS256"
    case hs384 = "HS384"
    case hs512 = "HS512"

    /// Whether the algorithm needs a shared secret (HMAC) rather than a public key.
    package var isSharedSecret: Bool {
        switch self {
        case .hs256, .hs384, .hs512: return true
        default: return false
        }
    }

    /// The exact signature length in bytes, where the algorithm fixes it (ECDSA r||s, Ed25519, HMAC).
    ///
    /// RSA signatures are as long as the key's modulus, so this is `nil` for them.
    var fixedSignatureLength: Int? {
        switch self {
        case .es256: return 64
        case .es384: return 96
        case .edDSA: return 64
        case .hs256: return 32
        case .hs384: return 48
        case .hs512: return 64
        case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512: return nil
        }
    }
}
