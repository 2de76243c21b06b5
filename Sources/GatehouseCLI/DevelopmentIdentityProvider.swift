import Foundation
import GatehouseIdentity
import _CryptoExtras

/// The development identity provider: an RSA signing key (committed in `certs-dev/`, so public)
/// whose JWKS the example policies trust, and a minter for tokens signed with it.
///
/// For trying the example policies through Envoy with `curl`; never for production.
struct DevelopmentIdentityProvider {
    /// The `kid` of the development key.
    static let keyID = "idp-dev-1"
    /// The issuer the example policies accept.
    static let issuer = "https://idp.gov.example"

    let key: _RSA.Signing.PrivateKey

    /// A new 2048-bit key.
    static func generate() throws -> DevelopmentIdentityProvider {
        DevelopmentIdentityProvider(key: try _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    /// The key in `path` (PKCS#8 or PKCS#1 PEM).
    static func load(_ path: String) throws -> DevelopmentIdentityProvider {
        let pem = try String(contentsOfFile: path, encoding: .utf8)
        return DevelopmentIdentityProvider(key: try _RSA.Signing.PrivateKey(pemRepresentation: pem))
    }

    /// The public key as a JWKS document.
    func jwks() throws -> String {
        let primitives = try self.key.publicKey.getKeyPrimitives()
        let jwk: [String: String] = [
            "kty": "RSA", "kid": Self.keyID, "use": "sig", "alg": "RS256",
            "n": Self.base64URL(primitives.modulus), "e": Self.base64URL(primitives.publicExponent),
        ]
        let data = try JSONSerialization.data(
            withJSONObject: ["keys": [jwk]], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// An RS256 token with `claims` (merged over `iss`, `iat`, `exp`).
    func token(claims: [String: Any], issuedAt: Date, lifetime: TimeInterval) throws -> String {
        var payload = claims
        payload["iss"] = payload["iss"] ?? Self.issuer
        payload["iat"] = Int(issuedAt.timeIntervalSince1970)
        payload["exp"] = Int(issuedAt.timeIntervalSince1970 + lifetime)
        let header: [String: Any] = ["alg": "RS256", "typ": "JWT", "kid": Self.keyID]
        let signingInput = try Self.segment(header) + "." + Self.segment(payload)
        let signature = try self.key.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        return signingInput + "." + Self.base64URL(signature.rawRepresentation)
    }

    private static func segment(_ object: [String: Any]) throws -> String {
        Self.base64URL(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    private static func base64URL(_ data: Data) -> String {
        Base64URL.encode(data)
    }
}
