import Crypto
import Foundation
import GatehouseIdentity
import GatehouseTestSupport

/// The PyJWT-made vectors in `Fixtures/` (see `make-vectors.py`) and builders for hand-made signatures.
enum BundleSignatureFixtures {
    /// `vectors.json`: the signed payload and PyJWT's compact JWS over it, by name.
    struct Vectors: Decodable {
        var payload: String
        var tokens: [String: String]
    }

    static func url(_ name: String) -> URL {
        Repository.url("Tests/GatehouseIdentityTests/Bundles/Fixtures/\(name)")
    }

    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: self.url(name))) }

    static func text(_ name: String) throws -> String { String(decoding: try self.bytes(name), as: UTF8.self) }

    static func vectors() throws -> Vectors {
        try JSONDecoder().decode(Vectors.self, from: Data(self.bytes("vectors.json")))
    }

    /// A verifier over `bundle-keys.jwks`: Ed25519 keys `test-only-ed25519-2025` and `-2026`, P-256 key `test-only-p256`.
    static func verifier() throws -> JWSBundleVerifier {
        try JWSBundleVerifier(jwks: self.bytes("bundle-keys.jwks"), origin: "bundle-keys.jwks")
    }

    /// A test-only signing key from its PEM fixture.
    static func signingKey(_ name: String, keyID: String? = nil) throws -> BundleSigningKey {
        try BundleSigningKey(pem: self.text("\(name).pem"), keyID: keyID ?? name)
    }

    /// The Ed25519 private key of a PEM fixture, to sign hand-made headers with.
    static func ed25519(_ name: String) throws -> Curve25519.Signing.PrivateKey {
        let pem = try self.text("\(name).pem")
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        // PKCS#8 Ed25519: a fixed 16-byte prefix, then the 32-byte seed.
        return try Curve25519.Signing.PrivateKey(rawRepresentation: Array(Data(base64Encoded: body)!).suffix(32))
    }

    /// `base64url(header).base64url(payload).base64url(sign(signing input))`.
    static func compact(header: String, payload: [UInt8], sign: ([UInt8]) throws -> [UInt8]) rethrows -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(payload)
        return input + "." + Base64URL.encode(try sign(Array(input.utf8)))
    }

    static let payload = Array(#"{"files":[]}"#.utf8)
}
