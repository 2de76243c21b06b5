import Crypto
import Foundation
import GatehouseIdentity
import _CryptoExtras

/// A private key (or secret) that signs test tokens.
enum SigningKey: Sendable {
    case rsa(_RSA.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)
    case p384(P384.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)
    case secret([UInt8])

    /// The JWS signature over `input`, as `algorithm` defines it (ECDSA as raw `r||s`).
    func sign(_ input: [UInt8], as algorithm: JWSAlgorithm) throws -> [UInt8] {
        switch (self, algorithm) {
        case (.rsa(let key), .rs256):
            return Array(
                try key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation)
        case (.rsa(let key), .rs384):
            return Array(
                try key.signature(for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation)
        case (.rsa(let key), .rs512):
            return Array(
                try key.signature(for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation)
        case (.rsa(let key), .ps256):
            return Array(try key.signature(for: SHA256.hash(data: input), padding: .PSS).rawRepresentation)
        case (.rsa(let key), .ps384):
            return Array(try key.signature(for: SHA384.hash(data: input), padding: .PSS).rawRepresentation)
        case (.rsa(let key), .ps512):
            return Array(try key.signature(for: SHA512.hash(data: input), padding: .PSS).rawRepresentation)
        case (.p256(let key), _): return Array(try key.signature(for: input).rawRepresentation)
        case (.p384(let key), _): return Array(try key.signature(for: input).rawRepresentation)
        case (.ed25519(let key), _): return Array(try key.signature(for: input))
        case (.secret(let secret), .hs384):
            return Array(HMAC<SHA384>.authenticationCode(for: input, using: SymmetricKey(data: secret)))
        case (.secret(let secret), .hs512):
            return Array(HMAC<SHA512>.authenticationCode(for: input, using: SymmetricKey(data: secret)))
        case (.secret(let secret), _):
            return Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: secret)))
        default: throw SigningKeyMismatch()
        }
    }

    /// The public half as a JWK member list (raw JSON values), with `kid`.
    func jwk(kid: String, extra: [(String, String)] = []) throws -> String {
        var members: [(String, String)] = [("kid", "\"\(kid)\"")]
        switch self {
        case .rsa(let key):
            let primitives = try key.publicKey.getKeyPrimitives()
            members += [
                ("kty", "\"RSA\""), ("n", "\"\(Base64URL.encode(primitives.modulus))\""),
                ("e", "\"\(Base64URL.encode(primitives.publicExponent))\""),
            ]
        case .p256(let key): members += Self.ec("P-256", Array(key.publicKey.x963Representation))
        case .p384(let key): members += Self.ec("P-384", Array(key.publicKey.x963Representation))
        case .ed25519(let key):
            members += [
                ("kty", "\"OKP\""), ("crv", "\"Ed25519\""),
                ("x", "\"\(Base64URL.encode(key.publicKey.rawRepresentation))\""),
            ]
        case .secret: throw SigningKeyMismatch()
        }
        return JSONText.object(members + extra)
    }

    private static func ec(_ curve: String, _ point: [UInt8]) -> [(String, String)] {
        let size = (point.count - 1) / 2
        return [
            ("kty", "\"EC\""), ("crv", "\"\(curve)\""), ("x", "\"\(Base64URL.encode(point[1...size]))\""),
            ("y", "\"\(Base64URL.encode(point[(size + 1)...]))\""),
        ]
    }
}

/// A key asked to sign with an algorithm of another family.
struct SigningKeyMismatch: Error {}

/// Builds JSON text member by member, so tests can write what a JSON encoder never would (duplicates, odd types).
enum JSONText {
    /// `{"a":1,"b":"x"}` from raw member values, in order, repeats kept.
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// The catalogue's keys, made once per test process.
struct TokenKeys: Sendable {
    let rsa: SigningKey
    let p256: SigningKey
    let p256Second: SigningKey
    let p384: SigningKey
    let ed25519: SigningKey
    let secret: SigningKey
    /// Keys of another issuer, used to sign tokens that claim to come from ours.
    let otherRSA: SigningKey
    let otherP256: SigningKey
    /// The RSA key's public half as DER: what an RS256→HS256 confusion attack uses as the HMAC secret.
    let rsaPublicDER: [UInt8]

    init() throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        self.rsa = .rsa(rsa)
        self.rsaPublicDER = Array(rsa.publicKey.derRepresentation)
        self.p256 = .p256(P256.Signing.PrivateKey())
        self.p256Second = .p256(P256.Signing.PrivateKey())
        self.p384 = .p384(P384.Signing.PrivateKey())
        self.ed25519 = .ed25519(Curve25519.Signing.PrivateKey())
        self.secret = .secret(Array("a shared secret of at least 32 bytes, for HS*".utf8))
        self.otherRSA = .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        self.otherP256 = .p256(P256.Signing.PrivateKey())
    }
}
